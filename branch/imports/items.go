package imports

import (
	"context"
	"fmt"
	"strings"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/marc"
)

// items are the copies to add with a new title: one per holdings field
// (952 as Koha writes it, else 852 as MARC 21 defines it), else
// opts.Items at opts.Library. Each is checked here, before any op of the
// record is emitted: library and item type exist, the barcode is well
// formed and in use neither in the catalogue (b.inUse, read for the whole
// batch) nor earlier in the batch.
func (b *batch) items(ctx context.Context, r *marc.Record, t *branch.Txn, res *domain.ImportResult) ([]domain.NewItem, error) {
	var out []domain.NewItem
	var from []string // the holdings field each copy comes from
	for _, f := range r.Get("952") {
		// Koha: $a home branch, $b holding branch, $p barcode,
		// $o call number, $y item type.
		out = append(out, domain.NewItem{HomeBranch: first(f.Sub('a'), f.Sub('b')), Barcode: strings.TrimSpace(f.Sub('p')),
			CallNumber: strings.TrimSpace(f.Sub('o')), ItemType: strings.TrimSpace(f.Sub('y'))})
		from = append(from, "952")
	}
	if len(out) == 0 {
		for _, f := range r.Get("852") {
			// MARC 21: $a location (institution), $b sublocation or
			// collection, $h classification part, $i item part,
			// $p piece designation (the barcode).
			call := strings.TrimSpace(strings.TrimSpace(f.Sub('h')) + " " + strings.TrimSpace(f.Sub('i')))
			out = append(out, domain.NewItem{HomeBranch: first(f.Sub('b'), f.Sub('a')), Barcode: strings.TrimSpace(f.Sub('p')),
				CallNumber: call})
			from = append(from, "852")
		}
	}
	if len(out) == 0 {
		for i := 0; i < b.opts.Items; i++ {
			out = append(out, domain.NewItem{})
			from = append(from, "")
		}
	}
	var kept []domain.NewItem
	dup := map[string]bool{} // barcodes of this record's earlier copies
	for i := range out {
		ni := &out[i]
		if ni.HomeBranch == "" {
			ni.HomeBranch = b.opts.Library
		}
		if ni.HomeBranch == "" && t != nil {
			ni.HomeBranch = t.DefaultBranch()
		}
		if ni.ItemType == "" {
			ni.ItemType = b.opts.ItemType
		}
		if ni.ItemType == "" {
			it, err := b.defaultItemType(ctx)
			if err != nil {
				return nil, err
			}
			ni.ItemType = it
		}
		if ni.CallNumber == "" {
			ni.CallNumber = r.Biblio().CallNumber
		}
		if len(ni.CallNumber) > 100 {
			ni.CallNumber = ni.CallNumber[:100]
		}
		if ni.HomeBranch != "" {
			if ok, err := b.exists(ctx, `SELECT 1 FROM libraries WHERE branch_id=? AND name<>''`, ni.HomeBranch); err != nil {
				return nil, err
			} else if !ok && from[i] != "" && b.opts.Library != "" {
				ni.HomeBranch = b.opts.Library
			} else if !ok && from[i] != "" {
				// Holdings of another library's system: the title
				// imports, this copy does not.
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s: no library %q here; copy not added (give --library to place it)", from[i], ni.HomeBranch))
				continue
			} else if !ok {
				return nil, domain.Fail(domain.CodeLibraryNotFound, "No library with id %s.", ni.HomeBranch)
			}
		}
		if ok, err := b.exists(ctx, `SELECT 1 FROM item_types WHERE item_type=?`, ni.ItemType); err != nil {
			return nil, err
		} else if !ok {
			return nil, domain.Fail(domain.CodeItemTypeNotFound, "No item type %s.", ni.ItemType)
		}
		if ni.Barcode == "" {
			kept = append(kept, *ni)
			continue
		}
		if err := checkBarcode(ni.Barcode); err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: barcode %q unusable (%s); the copy gets a new one", from[i], ni.Barcode, err))
			ni.Barcode = ""
			kept = append(kept, *ni)
			continue
		}
		if b.inUse[ni.Barcode] || b.barcodes[ni.Barcode] || dup[ni.Barcode] {
			return nil, domain.Fail(domain.CodeDuplicateBarcode, "Barcode %s is already in use.", ni.Barcode)
		}
		dup[ni.Barcode] = true
		kept = append(kept, *ni)
	}
	return kept, nil
}

// defaultItemType is the item type of copies that name none: the first
// by name.
func (b *batch) defaultItemType(ctx context.Context) (string, error) {
	if b.itemType != "" {
		return b.itemType, nil
	}
	ids, err := b.ids(ctx, `SELECT item_type FROM item_types ORDER BY item_type LIMIT 1`, nil)
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "", domain.Invalid("There is no item type for the imported copies; add one first.")
	}
	b.itemType = ids[0]
	return b.itemType, nil
}

// exists reports whether q finds a row. Libraries and item types are
// looked up once per batch.
func (b *batch) exists(ctx context.Context, q string, args ...any) (bool, error) {
	key := q + "\x00" + fmt.Sprint(args...)
	if ok, hit := b.known[key]; hit {
		return ok, nil
	}
	ids, err := b.ids(ctx, q, args)
	if err == nil {
		if b.known == nil {
			b.known = map[string]bool{}
		}
		b.known[key] = len(ids) > 0
	}
	return len(ids) > 0, err
}

// checkBarcode is branch's rule for barcodes: 1 to 32 printable ASCII
// characters without spaces.
func checkBarcode(s string) error {
	if s == "" || len(s) > 32 {
		return domain.Fail(domain.CodeBadBarcode, "A barcode must be 1 to 32 characters.")
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return domain.Fail(domain.CodeBadBarcode, "A barcode may contain only letters, digits and punctuation.")
		}
	}
	return nil
}

func first(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
