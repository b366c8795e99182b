package sip2_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/hardware/rfid"
	"stacks/hardware/sip2"
	"stacks/hardware/sortbin"
)

// rfidNode is one branch's service with its ACS on a loopback listener
// and a kiosk logged in to it.
type rfidNode struct {
	svc  *branch.Service
	cl   *sip2.Client
	inst string
}

func startRFIDNode(t *testing.T, svc *branch.Service, inst, user string, sorter sip2.SortBinner) *rfidNode {
	t.Helper()
	pins := sip2.PINVerifierFunc(func(ctx context.Context, card, pin string) error {
		_, err := svc.CheckPIN(ctx, card, pin)
		return err
	})
	cfg := sip2.DefaultConfig(svc, pins)
	cfg.Sorter = sorter
	srv, err := sip2.NewServer(cfg)
	must(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := sip2.Dial(ctx, ln.Addr().String(), nil)
	must(t, err)
	t.Cleanup(func() { cl.Close() })
	must(t, cl.Login(user, "kiosk-pass", inst+"-RETURNS"))
	return &rfidNode{svc: svc, cl: cl, inst: inst}
}

// TestRFIDSecurityFollowsMergedLoans lends and returns one tagged copy at
// two branches' ACSs, with merges between them, the way an RFID kiosk
// does: unsecure the tag when 12 says desensitize, secure it when 10 says
// resensitize. After every step the tag is secured exactly when the
// item has no open loan on the node the kiosk spoke to; the sorting bins
// (CL) come from the rules.
func TestRFIDSecurityFollowsMergedLoans(t *testing.T) {
	ctx := context.Background()
	ea := branchtest.Open(t, branchtest.Options{Node: 1, Branch: "MAIN"})
	eb := branchtest.Open(t, branchtest.Options{Node: 2, Branch: "EAST"})
	a, b := ea.Service, eb.Service
	desk := branchtest.Admin(ctx)
	branchtest.SeedPolicy(t, desk, a)
	for _, s := range []domain.NewStaff{
		{Username: "kiosk-main", Role: domain.RoleKiosk, BranchID: "MAIN", Password: "kiosk-pass"},
		{Username: "kiosk-east", Role: domain.RoleKiosk, BranchID: "EAST", Password: "kiosk-pass"},
	} {
		_, err := a.SetStaff(desk, s)
		must(t, err)
	}
	for _, card := range []string{"21000001", "21000002", "21000003"} {
		_, err := a.RegisterPatron(desk, domain.NewPatron{Cardnumber: card, Firstname: "P", Surname: card, Category: "ADULT", PIN: "1234", HomeBranch: "MAIN"})
		must(t, err)
	}
	items := map[string]*domain.Item{}
	for _, it := range []struct{ barcode, home string }{{"39000001", "MAIN"}, {"39000002", "EAST"}} {
		bib, err := a.AddBiblio(desk, domain.NewBiblio{Title: "Title " + it.barcode, Authors: []string{"A, A."}, Format: "book"})
		must(t, err)
		items[it.barcode], err = a.AddItem(desk, domain.NewItem{Barcode: it.barcode, BiblioID: bib.BiblioID, ItemType: "BOOK", HomeBranch: it.home})
		must(t, err)
	}
	branchtest.Exchange(t, a, b)
	ka := startRFIDNode(t, a, "MAIN", "kiosk-main", sortbin.Default())
	kb := startRFIDNode(t, b, "EAST", "kiosk-east", nil) // bins by action: 1 shelve, 2 hold shelf, 3 transit

	pad := rfid.NewSimPad(rfid.SecurityAFI)
	uids := map[string]string{}
	for barcode := range items {
		uid, err := pad.PutItem(rfid.FormatDanish, &rfid.Tag{ItemID: barcode, Usage: 0x10, Country: "US", Owner: "US-STACKS"}, true)
		must(t, err)
		uids[barcode] = uid
	}
	secured := func(barcode string) bool {
		inv, err := pad.Inventory(ctx)
		must(t, err)
		for _, ti := range inv {
			if ti.UID == uids[barcode] {
				return ti.Secured(pad.Mode())
			}
		}
		t.Fatalf("tag of %s not on the pad", barcode)
		return false
	}
	// agrees checks the tag against the loans k's node knows.
	agrees := func(step string, k *rfidNode, barcode string) {
		t.Helper()
		l, err := k.svc.OpenLoan(ctx, items[barcode].ItemID)
		must(t, err)
		if got := secured(barcode); got != (l == nil) {
			t.Fatalf("%s: tag secured=%v but open loan %+v", step, got, l)
		}
	}
	checkout := func(step string, k *rfidNode, card, barcode string) {
		t.Helper()
		r, err := k.cl.Checkout(k.inst, card, "1234", barcode)
		must(t, err)
		if r.Fixed[0] != '1' {
			t.Fatalf("%s: checkout refused: %s", step, r)
		}
		if r.Fixed[3] == 'Y' {
			must(t, pad.SetSecurity(ctx, uids[barcode], false))
		}
		agrees(step, k, barcode)
	}
	checkin := func(step string, k *rfidNode, barcode, wantResensitize, wantBin string) *sip2.Message {
		t.Helper()
		r, err := k.cl.Checkin(k.inst, k.inst+"-RETURNS", barcode)
		must(t, err)
		if r.Fixed[0] != '1' {
			t.Fatalf("%s: checkin refused: %s", step, r)
		}
		if got := r.Fixed[1:2]; got != wantResensitize {
			t.Fatalf("%s: resensitize %s, want %s: %s", step, got, wantResensitize, r)
		}
		if got := r.Value("CL"); got != wantBin {
			t.Fatalf("%s: sort bin %q, want %q: %s", step, got, wantBin, r)
		}
		if r.Fixed[1] == 'Y' {
			must(t, pad.SetSecurity(ctx, uids[barcode], true))
		}
		agrees(step, k, barcode)
		return r
	}

	// Two concurrent checkouts of one copy, each branch cut off from the other.
	checkout("checkout at MAIN", ka, "21000001", "39000001")
	checkout("concurrent checkout at EAST", kb, "21000002", "39000001")
	branchtest.Exchange(t, a, b)
	branchtest.Exchange(t, b, a)
	agrees("after the merge (MAIN)", ka, "39000001")
	agrees("after the merge (EAST)", kb, "39000001")
	// The first return closes one loan; the other is still open after the
	// merge, so the tag stays unsecured and the patron goes to the desk.
	r := checkin("first return at MAIN", ka, "39000001", "N", "3")
	if !strings.Contains(r.Value("AF"), "still show this item on loan") {
		t.Fatalf("no word of the remaining loan: %s", r)
	}
	r = checkin("second return at MAIN", ka, "39000001", "Y", "3")
	if strings.Contains(r.Value("AF"), "still show") {
		t.Fatalf("remaining loan reported after the last one closed: %s", r)
	}
	branchtest.Exchange(t, a, b)

	// A checkout at EAST returned at MAIN after the merge: secured again,
	// and EAST's copy goes to the transit bin.
	checkout("checkout at EAST", kb, "21000003", "39000002")
	branchtest.Exchange(t, b, a)
	checkin("return of EAST's copy at MAIN", ka, "39000002", "Y", "2")
	branchtest.Exchange(t, a, b)
	agrees("EAST after the merge", kb, "39000002")

	// A hold trapped at checkin: bin 1 at MAIN (rules); EAST bins by
	// action alone (its own copy, shelved: 1).
	_, err := a.PlaceHold(desk, domain.HoldRequest{Cardnumber: "21000002", BiblioID: items["39000001"].BiblioID, PickupBranch: "MAIN"})
	must(t, err)
	checkout("checkout before the hold", ka, "21000003", "39000001")
	checkin("return trapping the hold", ka, "39000001", "Y", "1")
	branchtest.Exchange(t, a, b)
	checkout("checkout at EAST", kb, "21000001", "39000002")
	checkin("return at EAST", kb, "39000002", "Y", "1")
}
