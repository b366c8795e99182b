package domain

import "strings"

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
}

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
