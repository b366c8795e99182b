package branch

import (
	"context"
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
}

func (b *NewBiblio) normalise() error {
	b.Title = strings.TrimSpace(b.Title)
	if b.Title == "" {
		return invalid("A title needs a title.")
	}
	if b.Format == "" {
		b.Format = "book"
	}
	ok := false
	for _, f := range Formats {
		ok = ok || f == b.Format
	}
	if !ok {
		return invalid("Unknown format %q (one of %s).", b.Format, strings.Join(Formats, ", "))
	}
	if b.Year < 0 || b.Year > 2200 {
		return invalid("Year %d is out of range.", b.Year)
	}
	if b.Licences < 0 || b.Licences > 100000 {
		return invalid("Licence count %d is out of range.", b.Licences)
	}
	if b.Licences > 0 && !digitalFormats[b.Format] {
		return invalid("Only digital formats have a licence count.")
	}
	for what, v := range map[string]string{"Title": b.Title, "Subtitle": b.Subtitle, "Publisher": b.Publisher, "ISBN": b.ISBN, "Language": b.Language} {
		if err := checkText(what, v, 1000); err != nil {
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

func (b *NewBiblio) fields() map[string]any {
	authors := make([]any, len(b.Authors))
	for i, a := range b.Authors {
		authors[i] = a
	}
	subjects := make([]any, len(b.Subjects))
	for i, a := range b.Subjects {
		subjects[i] = a
	}
	return map[string]any{"title": b.Title, "subtitle": b.Subtitle, "authors": authors, "subjects": subjects,
		"isbn": b.ISBN, "language": b.Language, "format": b.Format, "publisher": b.Publisher, "year": b.Year,
		"licences": b.Licences}
}

// AddBiblio adds a title.
func (s *Service) AddBiblio(ctx context.Context, nb NewBiblio) (*Biblio, error) {
	ids, err := s.AddBiblios(ctx, []NewBiblio{nb})
	if err != nil {
		return nil, err
	}
	return s.Biblio(ctx, ids[0])
}

// AddBiblios adds many titles in one transaction (imports).
func (s *Service) AddBiblios(ctx context.Context, nbs []NewBiblio) ([]string, error) {
	for i := range nbs {
		if err := nbs[i].normalise(); err != nil {
			return nil, err
		}
	}
	ids := make([]string, len(nbs))
	err := s.update(ctx, func(t *txn) error {
		for i := range nbs {
			ids[i] = s.newID(t.now)
			if _, err := t.emit(ctx, KindBiblioSet, fieldsOp{Key: map[string]any{"biblio_id": ids[i]}, Fields: nbs[i].fields()}); err != nil {
				return err
			}
		}
		return nil
	})
	return ids, err
}

// UpdateBiblio replaces a title's descriptive fields.
func (s *Service) UpdateBiblio(ctx context.Context, id string, nb NewBiblio) (*Biblio, error) {
	if err := nb.normalise(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(t *txn) error {
		if _, err := getBiblio(ctx, t, id); err != nil {
			return err
		}
		_, err := t.emit(ctx, KindBiblioSet, fieldsOp{Key: map[string]any{"biblio_id": id}, Fields: nb.fields()})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Biblio(ctx, id)
}

// Biblio returns a title.
func (s *Service) Biblio(ctx context.Context, id string) (*Biblio, error) {
	return getBiblio(ctx, s.db.Read(), id)
}

// SearchBiblios finds titles whose title, authors, subjects or ISBN match
// every word of term.
func (s *Service) SearchBiblios(ctx context.Context, term, isbn string, limit, offset int) ([]*Biblio, error) {
	return searchBiblios(ctx, s.db.Read(), term, isbn, limit, offset)
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

// Availability returns a title's copies and holds queue.
func (s *Service) Availability(ctx context.Context, biblioID string) (*Availability, error) {
	q := s.db.Read()
	b, err := getBiblio(ctx, q, biblioID)
	if err != nil {
		return nil, err
	}
	items, err := listItems(ctx, q, ItemFilter{BiblioID: biblioID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	a := &Availability{BiblioID: biblioID, Items: items, ByBranch: map[string]BranchAvl{}}
	if a.Items == nil {
		a.Items = []*Item{}
	}
	for _, it := range items {
		ba := a.ByBranch[it.Location]
		ba.Total++
		a.Total++
		if it.Status == ItemAvailable {
			ba.Available++
			a.Available++
		}
		a.ByBranch[it.Location] = ba
	}
	queue, err := titleQueue(ctx, q, biblioID)
	if err != nil {
		return nil, err
	}
	a.HoldsQueue = len(queue)
	if b.Digital() {
		a.LicencesTotal = b.Licences
		a.LicencesFree = b.Licences
	}
	return a, nil
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

// checkItemProperties refuses properties that are too long, not text, or
// hold control characters (a tab or line break would not survive a kiosk's
// screen or SIP2).
func checkItemProperties(v string) error {
	if !utf8.ValidString(v) {
		return invalid("Item properties must be plain text (UTF-8).")
	}
	if n := utf8.RuneCountInString(v); n > MaxItemProperties {
		return invalid("Item properties are too long: %d characters, at most %d.", n, MaxItemProperties)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return invalid("Item properties may not contain control characters such as tabs or line breaks.")
	}
	return nil
}

// AddItem adds a copy of a title.
func (s *Service) AddItem(ctx context.Context, ni NewItem) (*Item, error) {
	ids, err := s.AddItems(ctx, []NewItem{ni})
	if err != nil {
		return nil, err
	}
	return s.Item(ctx, ids[0])
}

// AddItems adds many copies in one transaction.
func (s *Service) AddItems(ctx context.Context, nis []NewItem) ([]string, error) {
	for i := range nis {
		ni := &nis[i]
		if err := checkCode("barcode", ni.Barcode); err != nil {
			return nil, err
		}
		if ni.HomeBranch == "" {
			ni.HomeBranch = s.cfg.Branch
		}
		if ni.PriceCents < 0 {
			return nil, invalid("A price cannot be negative.")
		}
		if err := checkText("Call number", ni.CallNumber, 100); err != nil {
			return nil, err
		}
		if err := checkItemProperties(ni.Properties); err != nil {
			return nil, err
		}
	}
	ids := make([]string, len(nis))
	err := s.update(ctx, func(t *txn) error {
		seen := map[string]bool{}
		for i, ni := range nis {
			if _, err := getBiblio(ctx, t, ni.BiblioID); err != nil {
				return err
			}
			if _, err := getLibrary(ctx, t, ni.HomeBranch); err != nil {
				return err
			}
			if _, err := getItemType(ctx, t, ni.ItemType); err != nil {
				return err
			}
			if _, err := itemByBarcode(ctx, t, ni.Barcode); err == nil || seen[ni.Barcode] {
				return fail(CodeDuplicateBarcode, "Barcode %s is already in use.", ni.Barcode)
			}
			seen[ni.Barcode] = true
			ids[i] = s.newID(t.now)
			fields := map[string]any{
				"barcode": ni.Barcode, "biblio_id": ni.BiblioID, "home_branch": ni.HomeBranch, "location": ni.HomeBranch,
				"item_type": ni.ItemType, "call_number": ni.CallNumber, "price_cents": ni.PriceCents,
				"base_status": ItemAvailable, "transit_to": ""}
			if ni.Properties != "" {
				fields["properties"] = ni.Properties
			}
			if _, err := t.emit(ctx, KindItemSet, fieldsOp{Key: map[string]any{"item_id": ids[i]}, Fields: fields}); err != nil {
				return err
			}
		}
		return nil
	})
	return ids, err
}

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

// mayUpdate checks that actor's role may make update u: an item's
// properties need PermItemProperties (desk staff and kiosks have it), any
// other field PermCatalogueWrite. The system actor, with no role (imports,
// the demo loader), may do both.
func (u ItemUpdate) mayUpdate(actor Actor) error {
	if actor.Role == "" {
		return nil
	}
	if u.Properties != nil && !Can(actor.Role, PermItemProperties) {
		return fail(CodeNotPermitted, "Your role (%s) may not change an item's properties: it needs the permission %s.",
			actor.Role, PermItemProperties)
	}
	others := u.ItemType != nil || u.CallNumber != nil || u.PriceCents != nil || u.BaseStatus != nil || u.HomeBranch != nil
	if others && !Can(actor.Role, PermCatalogueWrite) {
		return fail(CodeNotPermitted, "Your role (%s) may not change an item's details: it needs the permission %s.",
			actor.Role, PermCatalogueWrite)
	}
	return nil
}

// UpdateItem changes an item's details, properties or staff status.
func (s *Service) UpdateItem(ctx context.Context, id string, u ItemUpdate) (*Item, error) {
	if err := u.mayUpdate(ActorFrom(ctx)); err != nil {
		return nil, err
	}
	fields := map[string]any{}
	if u.Properties != nil {
		if err := checkItemProperties(*u.Properties); err != nil {
			return nil, err
		}
		fields["properties"] = *u.Properties
	}
	if u.CallNumber != nil {
		if err := checkText("Call number", *u.CallNumber, 100); err != nil {
			return nil, err
		}
		fields["call_number"] = *u.CallNumber
	}
	if u.PriceCents != nil {
		if *u.PriceCents < 0 {
			return nil, invalid("A price cannot be negative.")
		}
		fields["price_cents"] = *u.PriceCents
	}
	if u.BaseStatus != nil {
		switch *u.BaseStatus {
		case ItemAvailable, ItemMissing, ItemDamaged, ItemWithdrawn:
		default:
			return nil, invalid("Item status must be available, missing, damaged or withdrawn.")
		}
		fields["base_status"] = *u.BaseStatus
	}
	err := s.update(ctx, func(t *txn) error {
		if _, err := getItem(ctx, t, id); err != nil {
			return err
		}
		if u.ItemType != nil {
			if _, err := getItemType(ctx, t, *u.ItemType); err != nil {
				return err
			}
			fields["item_type"] = *u.ItemType
		}
		if u.HomeBranch != nil {
			if _, err := getLibrary(ctx, t, *u.HomeBranch); err != nil {
				return err
			}
			fields["home_branch"] = *u.HomeBranch
		}
		if len(fields) == 0 {
			return invalid("Nothing to change.")
		}
		_, err := t.emit(ctx, KindItemSet, fieldsOp{Key: map[string]any{"item_id": id}, Fields: fields})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Item(ctx, id)
}

// Item returns one item.
func (s *Service) Item(ctx context.Context, id string) (*Item, error) {
	return getItem(ctx, s.hot(), id)
}

// ItemByBarcode returns the item with a barcode.
func (s *Service) ItemByBarcode(ctx context.Context, barcode string) (*Item, error) {
	return itemByBarcode(ctx, s.hot(), barcode)
}

// Items lists items matching a filter.
func (s *Service) Items(ctx context.Context, f ItemFilter) ([]*Item, error) {
	return listItems(ctx, s.db.Read(), f)
}
