package domain

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NewBiblio is a title to add to the catalogue.
type NewBiblio struct {
	Title     string   `json:"title"`
	Subtitle  string   `json:"subtitle"`
	Authors   []string `json:"authors"`
	Subjects  []string `json:"subjects"`
	ISBN      string   `json:"isbn"`
	Language  string   `json:"language"`
	Format    string   `json:"format"`
	Publisher string   `json:"publisher"`
	Year      int      `json:"year"`
	Licences  int      `json:"licences"`
	// What search needs beyond the core (all optional): series titles
	// (490 $a, 8xx), notes and summary (500, 520), the audience (one of
	// Audiences), the ISSN (022 $a), every ISBN of the record in ISBN-13
	// form (020 $a and $z), and the title without its leading article, for
	// sorting.
	Series    []string `json:"series,omitempty"`
	Notes     string   `json:"notes,omitempty"`
	Audience  string   `json:"audience,omitempty"`
	ISSN      string   `json:"issn,omitempty"`
	ISBNs     []string `json:"isbns,omitempty"`
	SortTitle string   `json:"sort_title,omitempty"`
}

// Audiences are the audiences a title may be for ("" is unknown).
var Audiences = []string{"juvenile", "young_adult", "adult"}

// MaxNotes is the longest a title's notes may be, in bytes.
const MaxNotes = 8000

// Normalise trims and checks a new title, filling in the defaults (format
// book, empty author and subject lists).
func (b *NewBiblio) Normalise() error {
	b.Title = strings.TrimSpace(b.Title)
	if b.Title == "" {
		return Invalid("A title needs a title.")
	}
	if b.Format == "" {
		b.Format = "book"
	}
	ok := false
	for _, f := range Formats {
		ok = ok || f == b.Format
	}
	if !ok {
		return Invalid("Unknown format %q (one of %s).", b.Format, strings.Join(Formats, ", "))
	}
	if b.Year < 0 || b.Year > 2200 {
		return Invalid("Year %d is out of range.", b.Year)
	}
	if b.Licences < 0 || b.Licences > 100000 {
		return Invalid("Licence count %d is out of range.", b.Licences)
	}
	if b.Licences > 0 && !digitalFormats[b.Format] {
		return Invalid("Only digital formats have a licence count.")
	}
	for what, v := range map[string]string{"Title": b.Title, "Subtitle": b.Subtitle, "Publisher": b.Publisher, "ISBN": b.ISBN, "Language": b.Language} {
		if err := CheckText(what, v, 1000); err != nil {
			return err
		}
	}
	if b.Audience != "" && !slices.Contains(Audiences, b.Audience) {
		return Invalid("Unknown audience %q (one of %s).", b.Audience, strings.Join(Audiences, ", "))
	}
	for what, v := range map[string]string{"ISSN": b.ISSN, "Sort title": b.SortTitle} {
		if err := CheckText(what, v, 1000); err != nil {
			return err
		}
	}
	if err := checkNotes(b.Notes); err != nil {
		return err
	}
	if len(b.Series) > 50 || len(b.ISBNs) > 200 {
		return Invalid("Too many series (%d, at most 50) or ISBNs (%d, at most 200).", len(b.Series), len(b.ISBNs))
	}
	for _, v := range b.Series {
		if err := CheckText("Series", v, 1000); err != nil {
			return err
		}
	}
	for _, v := range b.ISBNs {
		if err := CheckText("ISBN", v, 20); err != nil {
			return err
		}
	}
	if b.Authors == nil {
		b.Authors = []string{}
	}
	if b.Subjects == nil {
		b.Subjects = []string{}
	}
	return nil
}

// Availability is a title's copies and how many can be borrowed, per branch.
type Availability struct {
	BiblioID   string               `json:"biblio_id"`
	Items      []*Item              `json:"items"`
	Available  int                  `json:"available"`
	Total      int                  `json:"total"`
	ByBranch   map[string]BranchAvl `json:"by_library"`
	HoldsQueue int                  `json:"holds_queue"`
	// Licences in use and free, for digital titles.
	LicencesTotal int `json:"licences_total,omitempty"`
	LicencesFree  int `json:"licences_free,omitempty"`
}

// BranchAvl counts copies at one branch.
type BranchAvl struct {
	Available int `json:"available"`
	Total     int `json:"total"`
}

// NewItem is a copy to add.
type NewItem struct {
	Barcode    string `json:"barcode"`
	BiblioID   string `json:"biblio_id"`
	HomeBranch string `json:"home_library_id"`
	ItemType   string `json:"item_type_id"`
	CallNumber string `json:"callnumber"`
	PriceCents int64  `json:"price_cents"`
	Properties string `json:"properties"`
}

// MaxItemProperties is the longest an item's properties may be, in
// characters.
const MaxItemProperties = 255

// ItemUpdate changes the fields that are set. BaseStatus is what staff
// declare: available, missing, damaged, withdrawn (lost goes through
// DeclareLost, which charges the borrower). Properties is free text, at
// most MaxItemProperties characters; "" clears it.
type ItemUpdate struct {
	ItemType   *string `json:"item_type_id"`
	CallNumber *string `json:"callnumber"`
	PriceCents *int64  `json:"price_cents"`
	BaseStatus *string `json:"base_status"`
	HomeBranch *string `json:"home_library_id"`
	Properties *string `json:"properties"`
}

// MayUpdate checks that actor's role may make update u: an item's
// properties need PermItemProperties (desk staff and kiosks have it), any
// other field PermCatalogueWrite. The system actor, with no role (imports,
// the demo loader), may do both.
func (u ItemUpdate) MayUpdate(actor Actor) error {
	if actor.Role == "" {
		return nil
	}
	if u.Properties != nil && !Can(actor.Role, PermItemProperties) {
		return Fail(CodeNotPermitted, "Your role (%s) may not change an item's properties: it needs the permission %s.",
			actor.Role, PermItemProperties)
	}
	others := u.ItemType != nil || u.CallNumber != nil || u.PriceCents != nil || u.BaseStatus != nil || u.HomeBranch != nil
	if others && !Can(actor.Role, PermCatalogueWrite) {
		return Fail(CodeNotPermitted, "Your role (%s) may not change an item's details: it needs the permission %s.",
			actor.Role, PermCatalogueWrite)
	}
	return nil
}

// checkNotes refuses notes that are too long or not text; line breaks and
// tabs are allowed (a summary has paragraphs).
func checkNotes(v string) error {
	if !utf8.ValidString(v) {
		return Invalid("Notes must be plain text (UTF-8).")
	}
	if len(v) > MaxNotes {
		return Invalid("Notes are too long: %d bytes, at most %d.", len(v), MaxNotes)
	}
	if strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0 {
		return Invalid("Notes may not contain control characters other than line breaks and tabs.")
	}
	return nil
}
