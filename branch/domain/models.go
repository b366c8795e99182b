package domain

// Library is a branch in the registry.
type Library struct {
	BranchID      string `json:"library_id"`
	Name          string `json:"name"`
	InstitutionID string `json:"institution_id"`
	Address       string `json:"address"`
	Email         string `json:"email"`
	Phone         string `json:"phone"`
	HoldShelfDays int    `json:"hold_shelf_days"`
}

// Category is a patron category with its limits.
type Category struct {
	Category        string `json:"category_id"`
	Description     string `json:"description"`
	MaxFineCents    int64  `json:"max_fine_cents"`
	EnrolmentMonths int    `json:"enrolment_months"`
	MaxHolds        int    `json:"max_holds"`
}

// ItemType is a kind of item with its lost-item charges.
type ItemType struct {
	ItemType         string `json:"item_type_id"`
	Description      string `json:"description"`
	ReplacementCents int64  `json:"replacement_cents"`
	ProcessingCents  int64  `json:"processing_cents"`
}

// Patron is a library member.
type Patron struct {
	PatronID     string `json:"patron_id"`
	Cardnumber   string `json:"cardnumber"`
	Firstname    string `json:"firstname"`
	Surname      string `json:"surname"`
	Email        string `json:"email"`
	Phone        string `json:"phone"`
	Address      string `json:"address"`
	DateOfBirth  string `json:"date_of_birth"`
	HomeBranch   string `json:"library_id"`
	Category     string `json:"category_id"`
	ExpiryDate   string `json:"expiry_date"`
	Blocked      bool   `json:"blocked"`
	BlockReason  string `json:"block_reason,omitempty"`
	RegisteredAt string `json:"date_enrolled"`
	// Language is the patron's preferred language for what they read
	// ("en", "fi"), or empty until they choose.
	Language string `json:"lang,omitempty"`
}

// Name is the patron's full name.
func (p *Patron) Name() string {
	if p.Firstname == "" {
		return p.Surname
	}
	return p.Firstname + " " + p.Surname
}

// Biblio is a title in the catalogue.
type Biblio struct {
	BiblioID  string   `json:"biblio_id"`
	Title     string   `json:"title"`
	Subtitle  string   `json:"subtitle,omitempty"`
	Authors   []string `json:"authors"`
	Subjects  []string `json:"subjects"`
	ISBN      string   `json:"isbn,omitempty"`
	Language  string   `json:"language,omitempty"`
	Format    string   `json:"format"`
	Publisher string   `json:"publisher,omitempty"`
	Year      int      `json:"year,omitempty"`
	Licences  int      `json:"licences,omitempty"`
	Series    []string `json:"series,omitempty"`
	Notes     string   `json:"notes,omitempty"`
	Audience  string   `json:"audience,omitempty"`
	ISSN      string   `json:"issn,omitempty"`
	ISBNs     []string `json:"isbns,omitempty"`
	SortTitle string   `json:"sort_title,omitempty"`
}

// Digital reports whether the title is lent by licence, not by copy.
func (b *Biblio) Digital() bool { return digitalFormats[b.Format] }

var digitalFormats = map[string]bool{"ebook": true, "eaudiobook": true, "emagazine": true}

// Formats are the catalogue's formats.
var Formats = []string{"book", "large_print", "ebook", "audiobook", "eaudiobook", "music_cd", "dvd", "bluray", "score",
	"map", "serial", "emagazine", "photo", "video", "game", "other"}

// Item is a physical copy.
type Item struct {
	ItemID     string `json:"item_id"`
	Barcode    string `json:"barcode"`
	BiblioID   string `json:"biblio_id"`
	HomeBranch string `json:"home_library_id"`
	Location   string `json:"holding_library_id"`
	ItemType   string `json:"item_type_id"`
	CallNumber string `json:"callnumber"`
	PriceCents int64  `json:"price_cents"`
	BaseStatus string `json:"base_status"`
	TransitTo  string `json:"transit_to,omitempty"`
	Status     string `json:"status"`
	// Properties is free text about the copy that a kiosk shows or checks,
	// e.g. "DVD 2 discs, booklet" (SIP2's item properties, CH).
	Properties string `json:"properties,omitempty"`
	Title      string `json:"title,omitempty"`
}

// Loan is a checkout.
type Loan struct {
	LoanID       string `json:"checkout_id"`
	ItemID       string `json:"item_id"`
	PatronID     string `json:"patron_id"`
	BranchID     string `json:"library_id"`
	IssuedAt     string `json:"checkout_date"`
	DueDate      string `json:"due_date"`
	Renewals     int    `json:"renewals"`
	ReturnedAt   string `json:"checkin_date,omitempty"`
	ReturnBranch string `json:"checkin_library_id,omitempty"`
	Lost         bool   `json:"lost,omitempty"`
	Barcode      string `json:"barcode,omitempty"`
	Title        string `json:"title,omitempty"`
	Overdue      bool   `json:"overdue"`
	// Digital marks a loan of a digital title under a licence (no item,
	// no barcode; it returns itself when due); BiblioID names the title.
	Digital  bool   `json:"digital,omitempty"`
	BiblioID string `json:"biblio_id,omitempty"`
}

// Hold is a reservation.
type Hold struct {
	HoldID       string `json:"hold_id"`
	PatronID     string `json:"patron_id"`
	BiblioID     string `json:"biblio_id"`
	ItemID       string `json:"item_id,omitempty"`
	PickupBranch string `json:"pickup_library_id"`
	PlacedAt     string `json:"hold_date"`
	Status       string `json:"status"`
	TrappedItem  string `json:"trapped_item_id,omitempty"`
	ShelfExpires string `json:"expiration_date,omitempty"`
	Priority     int    `json:"priority,omitempty"`
	Title        string `json:"title,omitempty"`
	// PatronName and Cardnumber spare clients a lookup per hold (hold shelf).
	PatronName string `json:"patron_name,omitempty"`
	Cardnumber string `json:"cardnumber,omitempty"`
	// ShelfName is the patron as a hold shelf shows them (see ShelfName),
	// set on the holds HoldShelf lists.
	ShelfName string `json:"shelf_name,omitempty"`
	// NotNeededAfter is the last date the patron wants the title, or empty.
	NotNeededAfter string `json:"not_needed_after,omitempty"`
	// SuspendedUntil is the date a suspended hold becomes active again;
	// until then trapping skips it. Empty when not suspended.
	SuspendedUntil string `json:"suspended_until,omitempty"`
}

// Suspended reports whether the hold is suspended on day today (YYYY-MM-DD).
func (h *Hold) Suspended(today string) bool {
	return h.SuspendedUntil != "" && today < h.SuspendedUntil
}

// Active reports whether the hold is still to be fulfilled.
func (h *Hold) Active() bool { return holdRank[h.Status] < holdRank[HoldExpired] }

// HoldRank is the place of a hold status in the only order a hold may move
// through them; ok is false for an unknown status.
func HoldRank(status string) (rank int, ok bool) {
	rank, ok = holdRank[status]
	return rank, ok
}

// FeeLine is one entry of a patron's account.
type FeeLine struct {
	LineID      string `json:"account_line_id"`
	PatronID    string `json:"patron_id"`
	Kind        string `json:"type"`
	AmountCents int64  `json:"amount_cents"`
	Outstanding int64  `json:"amount_outstanding_cents"`
	AppliesTo   string `json:"applies_to,omitempty"`
	LoanID      string `json:"checkout_id,omitempty"`
	ItemID      string `json:"item_id,omitempty"`
	Description string `json:"description"`
	Method      string `json:"payment_type,omitempty"`
	CreatedAt   string `json:"date"`
	BranchID    string `json:"library_id,omitempty"`
}

// Account is a patron's balance and ledger.
type Account struct {
	PatronID     string    `json:"patron_id"`
	BalanceCents int64     `json:"balance_cents"`
	Lines        []FeeLine `json:"lines"`
}

// Rule is one cell of the circulation rules matrix. '*' matches any.
type Rule struct {
	BranchID     string `json:"library_id"`
	Category     string `json:"category_id"`
	ItemType     string `json:"item_type_id"`
	LoanDays     int    `json:"loan_days"`
	Renewals     int    `json:"renewals_allowed"`
	MaxLoans     int    `json:"max_checkouts"`
	FineCents    int64  `json:"fine_cents_per_day"`
	GraceDays    int    `json:"grace_days"`
	MaxFineCents int64  `json:"max_fine_cents"`
	HoldsAllowed bool   `json:"holds_allowed"`
}

// OpeningHours is one weekday of a branch; empty opens means closed.
type OpeningHours struct {
	BranchID string `json:"library_id"`
	Weekday  int    `json:"weekday"`
	Opens    string `json:"opens"`
	Closes   string `json:"closes"`
}

// ClosedDay is an exceptional closure (holiday) or, with Closed false, the
// lifting of one.
type ClosedDay struct {
	BranchID string `json:"library_id"`
	Date     string `json:"date"`
	Closed   bool   `json:"closed"`
	Reason   string `json:"reason"`
}

// Staff is a staff account.
type Staff struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	BranchID    string `json:"library_id"`
	Active      bool   `json:"active"`
	// Charset is the character set a kiosk account speaks SIP2 in
	// (CharsetUTF8 and the others in staff.go).
	Charset string `json:"charset"`
}
