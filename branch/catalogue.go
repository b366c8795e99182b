package branch

import (
	"context"
	"encoding/json"
	"stacks/branch/domain"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AddBiblio adds a title.
func (s *Service) AddBiblio(ctx context.Context, nb domain.NewBiblio) (*domain.Biblio, error) {
	ids, err := s.AddBiblios(ctx, []domain.NewBiblio{nb})
	if err != nil {
		return nil, err
	}
	return s.Biblio(ctx, ids[0])
}

// AddBiblios adds many titles in one transaction (imports).
func (s *Service) AddBiblios(ctx context.Context, nbs []domain.NewBiblio) ([]string, error) {
	for i := range nbs {
		if err := nbs[i].Normalise(); err != nil {
			return nil, err
		}
	}
	ids := make([]string, len(nbs))
	err := s.update(ctx, func(t *txn) error {
		for i := range nbs {
			ids[i] = s.newID(t.now)
			if _, err := t.emit(ctx, KindBiblioSet, fieldsOp{Key: map[string]any{"biblio_id": ids[i]}, Fields: biblioFields(&nbs[i])}); err != nil {
				return err
			}
		}
		return nil
	})
	return ids, err
}

// UpdateBiblio replaces a title's descriptive fields. Only the fields whose
// value changes are written, so each field's clock says who last changed
// it (an import's overlay keeps the fields staff changed, see
// branch/imports) and edits of different fields on two nodes both stand.
func (s *Service) UpdateBiblio(ctx context.Context, id string, nb domain.NewBiblio) (*domain.Biblio, error) {
	if err := nb.Normalise(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(t *txn) error {
		cur, err := getBiblio(ctx, t, id)
		if err != nil {
			return err
		}
		fields := biblioFields(&nb)
		// A replacement clears what it leaves out.
		for _, k := range []string{"notes", "audience", "issn", "sort_title"} {
			if _, ok := fields[k]; !ok {
				fields[k] = ""
			}
		}
		for _, k := range []string{"series", "isbns"} {
			if _, ok := fields[k]; !ok {
				fields[k] = []any{}
			}
		}
		fields, err = changedFields(cur, fields)
		if err != nil || len(fields) == 0 {
			return err
		}
		_, err = t.emit(ctx, KindBiblioSet, fieldsOp{Key: map[string]any{"biblio_id": id}, Fields: fields})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Biblio(ctx, id)
}

// Biblio returns a title.
func (s *Service) Biblio(ctx context.Context, id string) (*domain.Biblio, error) {
	return getBiblio(ctx, s.db.Read(), id)
}

// BibliosByID returns the titles of ids that exist, by id, read in one
// query (a search's page of works and their editions).
func (s *Service) BibliosByID(ctx context.Context, ids []string) (map[string]*domain.Biblio, error) {
	return getBiblios(ctx, s.db.Read(), ids)
}

// SearchBiblios finds titles whose title, authors, subjects or ISBN match
// every word of term.
func (s *Service) SearchBiblios(ctx context.Context, term, isbn string, limit, offset int) ([]*domain.Biblio, error) {
	return searchBiblios(ctx, s.db.Read(), term, isbn, limit, offset)
}

// Availability returns a title's copies and holds queue.
func (s *Service) Availability(ctx context.Context, biblioID string) (*domain.Availability, error) {
	q := s.db.Read()
	b, err := getBiblio(ctx, q, biblioID)
	if err != nil {
		return nil, err
	}
	items, err := listItems(ctx, q, ItemFilter{BiblioID: biblioID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	a := &domain.Availability{BiblioID: biblioID, Items: items, ByBranch: map[string]domain.BranchAvl{}}
	if a.Items == nil {
		a.Items = []*domain.Item{}
	}
	for _, it := range items {
		ba := a.ByBranch[it.Location]
		ba.Total++
		a.Total++
		if it.Status == domain.ItemAvailable {
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
	for _, c := range s.cfg.Capabilities {
		if c.Availability != nil {
			if err := c.Availability(ctx, q, s.now().Format(domain.DateLayout), b, a); err != nil {
				return nil, err
			}
		}
	}
	return a, nil
}

// checkItemProperties refuses properties that are too long, not text, or
// hold control characters (a tab or line break would not survive a kiosk's
// screen or SIP2).
func checkItemProperties(v string) error {
	if !utf8.ValidString(v) {
		return domain.Invalid("Item properties must be plain text (UTF-8).")
	}
	if n := utf8.RuneCountInString(v); n > domain.MaxItemProperties {
		return domain.Invalid("Item properties are too long: %d characters, at most %d.", n, domain.MaxItemProperties)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return domain.Invalid("Item properties may not contain control characters such as tabs or line breaks.")
	}
	return nil
}

// AddItem adds a copy of a title.
func (s *Service) AddItem(ctx context.Context, ni domain.NewItem) (*domain.Item, error) {
	ids, err := s.AddItems(ctx, []domain.NewItem{ni})
	if err != nil {
		return nil, err
	}
	return s.Item(ctx, ids[0])
}

// AddItems adds many copies in one transaction.
func (s *Service) AddItems(ctx context.Context, nis []domain.NewItem) ([]string, error) {
	for i := range nis {
		ni := &nis[i]
		if err := checkCode("barcode", ni.Barcode); err != nil {
			return nil, err
		}
		if ni.HomeBranch == "" {
			ni.HomeBranch = s.cfg.Branch
		}
		if ni.PriceCents < 0 {
			return nil, domain.Invalid("A price cannot be negative.")
		}
		if err := domain.CheckText("Call number", ni.CallNumber, 100); err != nil {
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
			if err := requireLibrary(ctx, t, ni.HomeBranch); err != nil {
				return err
			}
			if _, err := getItemType(ctx, t, ni.ItemType); err != nil {
				return err
			}
			if _, err := itemByBarcode(ctx, t, ni.Barcode); err == nil || seen[ni.Barcode] {
				return domain.Fail(domain.CodeDuplicateBarcode, "Barcode %s is already in use.", ni.Barcode)
			}
			seen[ni.Barcode] = true
			ids[i] = s.newID(t.now)
			if _, err := t.emit(ctx, KindItemSet, fieldsOp{Key: map[string]any{"item_id": ids[i]}, Fields: newItemFields(ni)}); err != nil {
				return err
			}
		}
		return nil
	})
	return ids, err
}

// UpdateItem changes an item's details, properties or staff status.
func (s *Service) UpdateItem(ctx context.Context, id string, u domain.ItemUpdate) (*domain.Item, error) {
	if err := u.MayUpdate(domain.ActorFrom(ctx)); err != nil {
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
		if err := domain.CheckText("Call number", *u.CallNumber, 100); err != nil {
			return nil, err
		}
		fields["call_number"] = *u.CallNumber
	}
	if u.PriceCents != nil {
		if *u.PriceCents < 0 {
			return nil, domain.Invalid("A price cannot be negative.")
		}
		fields["price_cents"] = *u.PriceCents
	}
	if u.BaseStatus != nil {
		switch *u.BaseStatus {
		case domain.ItemAvailable, domain.ItemMissing, domain.ItemDamaged, domain.ItemWithdrawn:
		default:
			return nil, domain.Invalid("Item status must be available, missing, damaged or withdrawn.")
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
			if err := requireLibrary(ctx, t, *u.HomeBranch); err != nil {
				return err
			}
			fields["home_branch"] = *u.HomeBranch
		}
		if len(fields) == 0 {
			return domain.Invalid("Nothing to change.")
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
func (s *Service) Item(ctx context.Context, id string) (*domain.Item, error) {
	return getItem(ctx, s.hot(), id)
}

// ItemByBarcode returns the item with a barcode.
func (s *Service) ItemByBarcode(ctx context.Context, barcode string) (*domain.Item, error) {
	return itemByBarcode(ctx, s.hot(), barcode)
}

// Items lists items matching a filter.
func (s *Service) Items(ctx context.Context, f ItemFilter) ([]*domain.Item, error) {
	return listItems(ctx, s.db.Read(), f)
}

// biblioFields are the fields of a biblio.set op for a new title.
func biblioFields(b *domain.NewBiblio) map[string]any {
	authors := make([]any, len(b.Authors))
	for i, a := range b.Authors {
		authors[i] = a
	}
	subjects := make([]any, len(b.Subjects))
	for i, a := range b.Subjects {
		subjects[i] = a
	}
	fields := map[string]any{"title": b.Title, "subtitle": b.Subtitle, "authors": authors, "subjects": subjects,
		"isbn": b.ISBN, "language": b.Language, "format": b.Format, "publisher": b.Publisher, "year": b.Year,
		"licences": b.Licences}
	// The fields search added are written only when set, so a title
	// without them makes the op older nodes know.
	if len(b.Series) > 0 {
		fields["series"] = anyList(b.Series)
	}
	if len(b.ISBNs) > 0 {
		fields["isbns"] = anyList(b.ISBNs)
	}
	for k, v := range map[string]string{"notes": b.Notes, "audience": b.Audience, "issn": b.ISSN, "sort_title": b.SortTitle} {
		if v != "" {
			fields[k] = v
		}
	}
	return fields
}

func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// changedFields are the fields of want whose value differs from cur's, as
// JSON (the names of biblioFields are the JSON names of domain.Biblio).
func changedFields(cur *domain.Biblio, want map[string]any) (map[string]any, error) {
	raw, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	var have domain.NewBiblio
	if err := json.Unmarshal(raw, &have); err != nil {
		return nil, err
	}
	if have.Authors == nil {
		have.Authors = []string{}
	}
	if have.Subjects == nil {
		have.Subjects = []string{}
	}
	old := biblioFields(&have)
	out := map[string]any{}
	for k, v := range want {
		a, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		prev, had := old[k]
		if !had && (string(a) == `""` || string(a) == `[]`) {
			continue // a field left unset is already empty
		}
		b, _ := json.Marshal(prev)
		if string(a) != string(b) {
			out[k] = v
		}
	}
	return out, nil
}

// newItemFields are the fields of the item.set op that adds copy ni: at
// home, available. Properties are written only when set, so a copy without
// them makes the op older nodes know.
func newItemFields(ni domain.NewItem) map[string]any {
	fields := map[string]any{
		"barcode": ni.Barcode, "biblio_id": ni.BiblioID, "home_branch": ni.HomeBranch, "location": ni.HomeBranch,
		"item_type": ni.ItemType, "call_number": ni.CallNumber, "price_cents": ni.PriceCents,
		"base_status": domain.ItemAvailable, "transit_to": ""}
	if ni.Properties != "" {
		fields["properties"] = ni.Properties
	}
	return fields
}
