package branch_test

import (
	"context"
	"slices"
	"testing"

	"stacks/branch"
	"stacks/branch/audit"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/replicate"
)

// TestTouchedHook: a capability's Touched hook sees the titles and copies
// each batch wrote, after their status is re-derived, in the applying
// transaction; remote batches too.
func TestTouchedHook(t *testing.T) {
	var got []branch.Touched
	var statuses []string
	probe := branch.Capability{Name: "probe", Touched: func(ctx context.Context, tx *replicate.Tx, tt branch.Touched) error {
		got = append(got, tt)
		for _, id := range tt.Items {
			var st string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM items WHERE item_id=?`, id).Scan(&st); err != nil {
				return err
			}
			statuses = append(statuses, st)
		}
		return nil
	}}
	caps := []branch.Capability{audit.Capability(), probe}
	env := branchtest.Open(t, branchtest.Options{Capabilities: caps})
	ctx := branchtest.Admin(context.Background())
	branchtest.SeedPolicy(t, ctx, env.Service)
	svc := env.Service
	b, err := svc.AddBiblio(ctx, domain.NewBiblio{Title: "Hooked"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || !slices.Equal(got[len(got)-1].Biblios, []string{b.BiblioID}) {
		t.Fatalf("after adding a title: %+v", got)
	}
	it, err := svc.AddItem(ctx, domain.NewItem{Barcode: "H1", BiblioID: b.BiblioID, ItemType: "BOOK"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: "P1", Surname: "Hook", HomeBranch: "MAIN", Category: "ADULT", PIN: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	got, statuses = nil, nil
	if _, err := svc.Checkout(ctx, domain.CheckoutRequest{PatronID: p.PatronID, ItemID: it.ItemID}); err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || !slices.Contains(got[0].Items, it.ItemID) || !slices.Contains(statuses, domain.ItemCheckedOut) {
		t.Fatalf("after a checkout: hooks %+v, statuses %v; want the copy, checked out", got, statuses)
	}

	// A remote batch: another node receives every op.
	other := branchtest.Open(t, branchtest.Options{Node: 2, Capabilities: caps})
	got, statuses = nil, nil
	branchtest.Exchange(t, svc, other.Service)
	var bibs, items []string
	for _, tt := range got {
		bibs, items = append(bibs, tt.Biblios...), append(items, tt.Items...)
	}
	if !slices.Contains(bibs, b.BiblioID) || !slices.Contains(items, it.ItemID) || !slices.Contains(statuses, domain.ItemCheckedOut) {
		t.Errorf("remote batch: biblios %v items %v statuses %v", bibs, items, statuses)
	}
}
