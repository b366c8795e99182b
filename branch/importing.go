package branch

import (
	"context"

	"stacks/branch/domain"
)

// The commands below let a capability (branch/imports) add and replace
// titles and copies inside its own command transaction, so that a batch of
// imported records, their copies and the capability's own ops commit
// together or not at all. They emit the core's ops, so imported titles
// and copies replicate like any other.

// AddBiblio adds a title in t and returns its new ID.
func (t *Txn) AddBiblio(ctx context.Context, nb domain.NewBiblio) (string, error) {
	if err := nb.Normalise(); err != nil {
		return "", err
	}
	id := t.t.s.newID(t.t.now)
	_, err := t.t.emit(ctx, KindBiblioSet, fieldsOp{Key: map[string]any{"biblio_id": id}, Fields: biblioFields(&nb)})
	return id, err
}

// SetBiblio replaces the descriptive fields of an existing title in t.
func (t *Txn) SetBiblio(ctx context.Context, id string, nb domain.NewBiblio) error {
	if err := nb.Normalise(); err != nil {
		return err
	}
	if _, err := getBiblio(ctx, t.t, id); err != nil {
		return err
	}
	_, err := t.t.emit(ctx, KindBiblioSet, fieldsOp{Key: map[string]any{"biblio_id": id}, Fields: biblioFields(&nb)})
	return err
}

// Biblio reads a title as t sees it.
func (t *Txn) Biblio(ctx context.Context, id string) (*domain.Biblio, error) {
	return getBiblio(ctx, t.t, id)
}

// BarcodeInUse reports whether a copy with barcode exists, as t sees it.
func (t *Txn) BarcodeInUse(ctx context.Context, barcode string) bool {
	_, err := itemByBarcode(ctx, t.t, barcode)
	return err == nil
}

// AddItem adds a copy in t, with the checks of Service.AddItems, and
// returns its new ID.
func (t *Txn) AddItem(ctx context.Context, ni domain.NewItem) (string, error) {
	if err := checkCode("barcode", ni.Barcode); err != nil {
		return "", err
	}
	if ni.HomeBranch == "" {
		ni.HomeBranch = t.t.s.cfg.Branch
	}
	if ni.PriceCents < 0 {
		return "", domain.Invalid("A price cannot be negative.")
	}
	if err := domain.CheckText("Call number", ni.CallNumber, 100); err != nil {
		return "", err
	}
	if err := checkItemProperties(ni.Properties); err != nil {
		return "", err
	}
	if _, err := getBiblio(ctx, t.t, ni.BiblioID); err != nil {
		return "", err
	}
	if _, err := getLibrary(ctx, t.t, ni.HomeBranch); err != nil {
		return "", err
	}
	if _, err := getItemType(ctx, t.t, ni.ItemType); err != nil {
		return "", err
	}
	if _, err := itemByBarcode(ctx, t.t, ni.Barcode); err == nil {
		return "", domain.Fail(domain.CodeDuplicateBarcode, "Barcode %s is already in use.", ni.Barcode)
	}
	id := t.t.s.newID(t.t.now)
	_, err := t.t.emit(ctx, KindItemSet, fieldsOp{Key: map[string]any{"item_id": id}, Fields: newItemFields(ni)})
	return id, err
}

// DefaultBranch is the library this node serves.
func (t *Txn) DefaultBranch() string { return t.t.s.cfg.Branch }
