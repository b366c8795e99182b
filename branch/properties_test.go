package branch_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

func strp(s string) *string { return &s }

// TestItemProperties: an item's properties are set through UpdateItem (by
// staff, or by a kiosk, which may change nothing else of the item), read
// wherever items are, and refused when too long or not plain text.
func TestItemProperties(t *testing.T) {
	e := newEnv(t)
	it := e.item(e.title("Fidelio"), "DVD1", "DVD", "MAIN")
	kiosk := domain.WithActor(context.Background(), domain.Actor{ID: "kiosk1", Role: domain.RoleKiosk, Channel: domain.ChannelKiosk})
	patron := domain.WithActor(context.Background(), domain.Actor{ID: "p1", Role: domain.RolePatron, Channel: domain.ChannelWeb})

	t.Run("OK", func(t *testing.T) {
		got, err := e.svc.UpdateItem(kiosk, it.ItemID, domain.ItemUpdate{Properties: strp("DVD 2 discs, booklet")})
		mustNoErr(t, err)
		if got.Properties != "DVD 2 discs, booklet" || got.Status != domain.ItemAvailable {
			t.Fatalf("after update: %+v", got)
		}
		// The op is the kiosk's, through the kiosk channel.
		ops, err := e.log.AllOps(context.Background())
		mustNoErr(t, err)
		last := ops[len(ops)-1]
		if last.Kind != branch.KindItemSet || last.Actor != "kiosk1" || last.Channel != string(domain.ChannelKiosk) {
			t.Fatalf("last op: kind %s actor %s channel %s", last.Kind, last.Actor, last.Channel)
		}
		byCode, err := e.svc.ItemByBarcode(e.ctx, "DVD1")
		mustNoErr(t, err)
		items, err := e.svc.Items(e.ctx, branch.ItemFilter{Barcode: "DVD1"})
		mustNoErr(t, err)
		avl, err := e.svc.Availability(e.ctx, it.BiblioID)
		mustNoErr(t, err)
		for name, got := range map[string]*domain.Item{"ItemByBarcode": byCode, "Items": items[0], "Availability": avl.Items[0]} {
			if got.Properties != "DVD 2 discs, booklet" {
				t.Errorf("%s: properties %q", name, got.Properties)
			}
		}
		b, _ := json.Marshal(byCode)
		if !strings.Contains(string(b), `"properties":"DVD 2 discs, booklet"`) {
			t.Errorf("JSON %s lacks the properties", b)
		}
		// As the HTTP API decodes a PATCH body.
		var u domain.ItemUpdate
		mustNoErr(t, json.Unmarshal([]byte(`{"properties":"Book and CD"}`), &u))
		got, err = e.svc.UpdateItem(e.clerk, it.ItemID, u)
		mustNoErr(t, err)
		if got.Properties != "Book and CD" {
			t.Fatalf("clerk's update: %q", got.Properties)
		}
		// 255 characters, not bytes.
		long := strings.Repeat("é", domain.MaxItemProperties)
		got, err = e.svc.UpdateItem(e.ctx, it.ItemID, domain.ItemUpdate{Properties: &long})
		mustNoErr(t, err)
		if got.Properties != long {
			t.Fatalf("255 characters: %q", got.Properties)
		}
		// Cleared, and gone from the JSON.
		got, err = e.svc.UpdateItem(e.ctx, it.ItemID, domain.ItemUpdate{Properties: strp("")})
		mustNoErr(t, err)
		if b, _ := json.Marshal(got); got.Properties != "" || strings.Contains(string(b), "properties") {
			t.Fatalf("cleared: %q, JSON %s", got.Properties, b)
		}
		// A new copy may come with properties.
		added, err := e.svc.AddItem(e.ctx, domain.NewItem{Barcode: "DVD2", BiblioID: it.BiblioID, ItemType: "DVD", Properties: "security case"})
		mustNoErr(t, err)
		if added.Properties != "security case" {
			t.Fatalf("added: %q", added.Properties)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		want, err := e.svc.UpdateItem(e.ctx, it.ItemID, domain.ItemUpdate{Properties: strp("2 discs")})
		mustNoErr(t, err)
		for name, v := range map[string]string{
			"256 characters": strings.Repeat("x", domain.MaxItemProperties+1),
			"tab":            "2 discs\tbooklet",
			"line break":     "2 discs\nbooklet",
			"NUL":            "2 discs\x00",
			"DEL":            "2 discs\x7f",
			"C1 control":     "2 discs\u0085",
			"not UTF-8":      "2 discs \xff",
		} {
			_, err := e.svc.UpdateItem(e.ctx, it.ItemID, domain.ItemUpdate{Properties: &v})
			var be *domain.Error
			if !errors.Is(err, domain.ErrInvalid) || !errors.As(err, &be) || !strings.Contains(be.Message, "Item properties") {
				t.Errorf("%s: %v, want invalid", name, err)
			}
			_, err = e.svc.AddItem(e.ctx, domain.NewItem{Barcode: "NEW1", BiblioID: it.BiblioID, ItemType: "DVD", Properties: v})
			if !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("%s: AddItem %v, want invalid", name, err)
			}
		}
		got, err := e.svc.Item(e.ctx, it.ItemID)
		mustNoErr(t, err)
		if got.Properties != want.Properties {
			t.Errorf("refusals changed the properties to %q", got.Properties)
		}
	})

	t.Run("ErrNotPermitted", func(t *testing.T) {
		for name, c := range map[string]struct {
			ctx context.Context
			u   domain.ItemUpdate
		}{
			"kiosk, call number":      {kiosk, domain.ItemUpdate{CallNumber: strp("791.43")}},
			"kiosk, with base status": {kiosk, domain.ItemUpdate{Properties: strp("2 discs"), BaseStatus: strp(domain.ItemDamaged)}},
			"clerk, call number":      {e.clerk, domain.ItemUpdate{CallNumber: strp("791.43")}},
			"patron, properties":      {patron, domain.ItemUpdate{Properties: strp("2 discs")}},
		} {
			if _, err := e.svc.UpdateItem(c.ctx, it.ItemID, c.u); !errors.Is(err, domain.ErrNotPermitted) {
				t.Errorf("%s: %v, want not_permitted", name, err)
			}
		}
		if !domain.Can(domain.RoleKiosk, domain.PermItemProperties) || domain.Can(domain.RoleKiosk, domain.PermCatalogueWrite) {
			t.Errorf("a kiosk may set properties and nothing else of an item")
		}
	})

	t.Run("ErrItemNotFound", func(t *testing.T) {
		if _, err := e.svc.UpdateItem(kiosk, "no-such-item", domain.ItemUpdate{Properties: strp("2 discs")}); !errors.Is(err, domain.ErrItemNotFound) {
			t.Errorf("%v, want item_not_found", err)
		}
	})
}

// TestItemPropertiesReplicate: two branches set one item's properties
// concurrently (and one its call number); after exchanging ops both hold
// the write with the greater stamp, field by field. The whole log
// integrated into fresh replicas in one batch, op by op with the batch
// applier, shuffled with duplicates, and through the op-by-op oracle
// (OpByOpOracle) gives the
// same state hash.
func TestItemPropertiesReplicate(t *testing.T) {
	ctx := context.Background()
	a := openEnv(t, t.TempDir(), 1, "MAIN", replicatetest.NewClock(monday))
	b := openEnv(t, t.TempDir(), 2, "EAST", replicatetest.NewClock(monday.Add(time.Minute)))
	a.setup()
	it := a.item(a.title("Fidelio"), "DVD1", "DVD", "MAIN")
	send := func(from, to *env) {
		t.Helper()
		vv, err := to.log.VersionVector(ctx)
		mustNoErr(t, err)
		ops, err := from.log.Ops(ctx, vv, 0)
		mustNoErr(t, err)
		_, err = to.log.Integrate(ctx, ops)
		mustNoErr(t, err)
	}
	send(a, b)

	// Concurrent writes: b's clock is ahead, so its properties win; a's
	// call number, a field b did not write, stays.
	_, err := a.svc.UpdateItem(a.ctx, it.ItemID, domain.ItemUpdate{Properties: strp("2 discs"), CallNumber: strp("791.43 BEE")})
	mustNoErr(t, err)
	kioskB := domain.WithActor(ctx, domain.Actor{ID: "kiosk-east", Role: domain.RoleKiosk, Channel: domain.ChannelKiosk})
	_, err = b.svc.UpdateItem(kioskB, it.ItemID, domain.ItemUpdate{Properties: strp("DVD 2 discs, booklet")})
	mustNoErr(t, err)
	// A checkout at a, so that the item's derived status is not the default.
	a.patron("C1", "ADULT")
	_, err = a.checkout("C1", "DVD1")
	mustNoErr(t, err)
	// And a later properties-only write at b that a sees after the checkout.
	b.clock.Advance(time.Hour)
	_, err = b.svc.UpdateItem(kioskB, it.ItemID, domain.ItemUpdate{Properties: strp("DVD 2 discs, booklet, security case")})
	mustNoErr(t, err)
	send(a, b)
	send(b, a)

	want := a.hash()
	if got := b.hash(); got != want {
		t.Fatalf("after exchange: hash %s at b, %s at a", got, want)
	}
	for _, e := range []*env{a, b} {
		got, err := e.svc.Item(ctx, it.ItemID)
		mustNoErr(t, err)
		if got.Properties != "DVD 2 discs, booklet, security case" || got.CallNumber != "791.43 BEE" || got.Status != domain.ItemCheckedOut {
			t.Errorf("%s: properties %q, call number %q, status %s", e.svc.Branch(), got.Properties, got.CallNumber, got.Status)
		}
	}

	ops, err := a.log.AllOps(ctx)
	mustNoErr(t, err)
	caps := branchtest.Capabilities()
	applier, err := branch.NewApplier(caps...)
	mustNoErr(t, err)
	r := rand.New(rand.NewPCG(5, 40))
	shuffled := append([]replicate.Op(nil), ops...)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	shuffled = append(shuffled, shuffled[:len(shuffled)/3]...)
	for _, tc := range []struct {
		name    string
		applier replicate.Applier
		ops     []replicate.Op
		size    int
	}{
		{"batched/all", applier, ops, len(ops)},
		{"batched/one", applier, ops, 1},
		{"batched/shuffled", applier, shuffled, 7},
		{"apply/log", branch.OpByOpOracle(), ops, 10},
		{"apply/shuffled", branch.OpByOpOracle(), shuffled, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := tc.applier.(replicate.BatchApplier); ok == strings.HasPrefix(tc.name, "apply") {
				t.Fatalf("applier %T", tc.applier)
			}
			db, err := replicate.OpenDB(ctx, filepath.Join(t.TempDir(), "stacks.db"), branch.Migrations(caps...))
			mustNoErr(t, err)
			lg := replicate.NewLog(db, replicate.Config{Node: 9, Clock: replicatetest.NewClock(monday), MaxBatch: 64}, tc.applier)
			mustNoErr(t, lg.Open(ctx))
			t.Cleanup(func() { lg.Close(); db.Close() })
			for i := 0; i < len(tc.ops); i += tc.size {
				_, err := lg.Integrate(ctx, tc.ops[i:min(i+tc.size, len(tc.ops))])
				mustNoErr(t, err)
			}
			if got, err := replicate.StateHash(ctx, db.Read(), branch.StateTables(caps...)); err != nil || got != want {
				t.Errorf("hash %s (%v), want %s", got, err, want)
			}
		})
	}
}
