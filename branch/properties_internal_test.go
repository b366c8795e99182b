package branch

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// TestItemPropertiesKeepStatus: a write of an item's properties alone does
// not re-derive the item's status, whether applied by a local command
// (Apply) or integrated from another node (ApplyBatch); a write of its
// staff status does. The status is set to a value no derivation gives, so
// that a re-derivation shows.
func TestItemPropertiesKeepStatus(t *testing.T) {
	ctx := context.Background()
	open := func(node replicate.NodeID, branchID string) *Service {
		t.Helper()
		clock := replicatetest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
		db, err := replicate.OpenDB(ctx, filepath.Join(t.TempDir(), "stacks.db"), Migrations())
		if err != nil {
			t.Fatal(err)
		}
		lg := replicate.NewLog(db, replicate.Config{Node: node, Clock: clock, MaxBatch: 64}, Applier{})
		if err := lg.Open(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { lg.Close(); db.Close() })
		s, err := NewService(lg, Config{Branch: branchID, Location: time.UTC, Clock: clock, Rand: replicatetest.NewRand(byte(node)), PINCost: 4})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	desk := domain.WithActor(ctx, domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	kiosk := domain.WithActor(ctx, domain.Actor{ID: "kiosk1", Role: domain.RoleKiosk, Channel: domain.ChannelKiosk})
	a, b := open(1, "MAIN"), open(2, "MAIN")
	must(a.SetLibrary(desk, domain.Library{BranchID: "MAIN", Name: "Main"}))
	must(a.SetItemType(desk, domain.ItemType{ItemType: "DVD"}))
	bib, err := a.AddBiblio(desk, domain.NewBiblio{Title: "Fidelio", Format: "dvd"})
	must(err)
	it, err := a.AddItem(desk, domain.NewItem{Barcode: "DVD1", BiblioID: bib.BiblioID, ItemType: "DVD"})
	must(err)
	sync := func() {
		t.Helper()
		vv, err := b.log.VersionVector(ctx)
		must(err)
		ops, err := a.log.Ops(ctx, vv, 0)
		must(err)
		_, err = b.log.Integrate(ctx, ops)
		must(err)
	}
	sync()
	tamper := func(s *Service) {
		t.Helper()
		must(s.update(ctx, func(t *txn) error {
			_, err := t.ExecContext(ctx, `UPDATE items SET status='sentinel' WHERE item_id=?`, it.ItemID)
			return err
		}))
	}
	status := func(s *Service) string {
		t.Helper()
		got, err := s.Item(ctx, it.ItemID)
		must(err)
		return got.Status
	}
	tamper(a)
	tamper(b)

	props := "DVD 2 discs, booklet"
	_, err = a.UpdateItem(kiosk, it.ItemID, domain.ItemUpdate{Properties: &props})
	must(err)
	sync()
	if sa, sb := status(a), status(b); sa != "sentinel" || sb != "sentinel" {
		t.Fatalf("a properties-only write re-derived the status: %s by Apply, %s by ApplyBatch", sa, sb)
	}

	avail := domain.ItemAvailable
	_, err = a.UpdateItem(desk, it.ItemID, domain.ItemUpdate{Properties: &props, BaseStatus: &avail})
	must(err)
	sync()
	if sa, sb := status(a), status(b); sa != domain.ItemAvailable || sb != domain.ItemAvailable {
		t.Fatalf("a staff status write did not re-derive the status: %s by Apply, %s by ApplyBatch", sa, sb)
	}
}
