package sip2_test

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/hardware/sip2"
	"stacks/replicate/replicatetest"
)

type fakeClock = replicatetest.Clock

// syncBuffer collects output from many goroutines.
type syncBuffer = replicatetest.SyncBuffer

// monday is 2026-11-23 10:00 UTC, a Monday.
var monday = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// env is a branch MAIN (and EAST) on real SQLite with an ACS on a real
// loopback listener.
type env struct {
	tb    testing.TB
	svc   *branch.Service
	clock *fakeClock
	desk  context.Context // an admin at the desk
	srv   *sip2.Server
	addr  string
	logs  *syncBuffer
	items map[string]*domain.Item
	pats  map[string]*domain.Patron
}

type envOpt func(*sip2.Config)

func newEnv(tb testing.TB, opts ...envOpt) *env {
	tb.Helper()
	ctx := context.Background()
	clock := replicatetest.NewClock(monday)
	svc := branchtest.Open(tb, branchtest.Options{Clock: clock, Rand: 7}).Service
	e := &env{tb: tb, svc: svc, clock: clock, logs: &syncBuffer{},
		desk:  domain.WithActor(ctx, domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelDesk}),
		items: map[string]*domain.Item{}, pats: map[string]*domain.Patron{}}
	e.setup()

	pins := sip2.PINVerifierFunc(func(ctx context.Context, card, pin string) error {
		_, err := svc.CheckPIN(ctx, card, pin)
		return err
	})
	cfg := sip2.DefaultConfig(svc, pins)
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, o := range opts {
		o(&cfg)
	}
	var err error
	e.srv, err = sip2.NewServer(cfg)
	must(tb, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(tb, err)
	e.addr = ln.Addr().String()
	done := make(chan struct{})
	go func() { defer close(done); e.srv.Serve(ln) }()
	tb.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.srv.Shutdown(sctx)
		<-done
		if tb.Failed() {
			tb.Logf("server log:\n%s", e.logs.String())
		}
	})
	return e
}

func (e *env) setup() {
	tb, ctx, svc := e.tb, e.desk, e.svc
	tb.Helper()
	for _, l := range []domain.Library{
		{BranchID: "MAIN", Name: "Main Library", InstitutionID: "STACKS", HoldShelfDays: 7},
		{BranchID: "EAST", Name: "Eastside", InstitutionID: "STACKS", HoldShelfDays: 5},
	} {
		must(tb, svc.SetLibrary(ctx, l))
	}
	must(tb, svc.SetCategory(ctx, domain.Category{Category: "ADULT", MaxFineCents: 1000, EnrolmentMonths: 12, MaxHolds: 3}))
	must(tb, svc.SetItemType(ctx, domain.ItemType{ItemType: "BOOK", ReplacementCents: 2500}))
	must(tb, svc.SetRule(ctx, domain.Rule{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 21, Renewals: 2, MaxLoans: 10000,
		FineCents: 25, GraceDays: 0, MaxFineCents: 500, HoldsAllowed: true}))
	for wd := 0; wd <= 6; wd++ {
		must(tb, svc.SetOpeningHours(ctx, domain.OpeningHours{BranchID: "MAIN", Weekday: wd, Opens: "09:00", Closes: "18:00"}))
	}
	_, err := svc.SetStaff(ctx, domain.NewStaff{Username: "kiosk1", DisplayName: "Kiosk by the door", Role: domain.RoleKiosk, BranchID: "MAIN", Password: "kiosk-pass"})
	must(tb, err)
	_, err = svc.SetStaff(ctx, domain.NewStaff{Username: "kiosk-east", Role: domain.RoleKiosk, BranchID: "EAST", Password: "kiosk-pass"})
	must(tb, err)
	_, err = svc.SetStaff(ctx, domain.NewStaff{Username: "clerk", Role: domain.RoleCirculation, BranchID: "MAIN", Password: "clerk-pass"})
	must(tb, err)
	for _, p := range []struct{ card, first, last string }{
		{"21000001", "Ann", "Able"}, {"21000002", "Bob", "Blocked"}, {"21000003", "Cat", "Holder"},
		{"21000004", "Dee", "Fines"}, {"21000005", "Éloïse", "Brontë"},
	} {
		np, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: p.card, Firstname: p.first, Surname: p.last,
			Category: "ADULT", PIN: "1234", HomeBranch: "MAIN", Email: strings.ToLower(p.first) + "@example.org"})
		must(tb, err)
		e.pats[p.card] = np
	}
	_, err = svc.BlockPatron(ctx, e.pats["21000002"].PatronID, "Library card reported stolen")
	must(tb, err)
	_, err = svc.Charge(ctx, e.pats["21000004"].PatronID, domain.ChargeRequest{AmountCents: 450, Kind: "damage", Description: "Damaged cover"})
	must(tb, err)
	for _, it := range []struct{ barcode, title, home string }{
		{"39000001", "Les Misérables", "MAIN"}, {"39000002", "Dune", "MAIN"}, {"39000003", "Emma", "EAST"},
		{"39000004", "Ulysses", "MAIN"}, {"39000005", "Middlemarch", "MAIN"}, {"39000006", "Persuasion", "MAIN"},
	} {
		b, err := svc.AddBiblio(ctx, domain.NewBiblio{Title: it.title, Authors: []string{"Author, A."}, Format: "book"})
		must(tb, err)
		item, err := svc.AddItem(ctx, domain.NewItem{Barcode: it.barcode, BiblioID: b.BiblioID, ItemType: "BOOK", HomeBranch: it.home, CallNumber: "F " + strings.ToUpper(it.title[:3])})
		must(tb, err)
		e.items[it.barcode] = item
	}
}

// lend checks an item out at the desk.
func (e *env) lend(card, barcode string) *domain.Loan {
	e.tb.Helper()
	res, err := e.svc.Checkout(e.desk, domain.CheckoutRequest{Cardnumber: card, Barcode: barcode})
	must(e.tb, err)
	return res.Loan
}

// hold places a hold at the desk on barcode's title for card, picked up at pickup.
func (e *env) hold(card, barcode, pickup string) *domain.Hold {
	e.tb.Helper()
	h, err := e.svc.PlaceHold(e.desk, domain.HoldRequest{Cardnumber: card, BiblioID: e.items[barcode].BiblioID, PickupBranch: pickup})
	must(e.tb, err)
	return h
}

// setProperties sets an item's properties at the desk.
func (e *env) setProperties(barcode, props string) {
	e.tb.Helper()
	_, err := e.svc.UpdateItem(e.desk, e.items[barcode].ItemID, domain.ItemUpdate{Properties: &props})
	must(e.tb, err)
}

// conn is a raw kiosk connection for transcripts.
type conn struct {
	tb testing.TB
	c  net.Conn
	br *bufio.Reader
}

func (e *env) dial() *conn {
	e.tb.Helper()
	c, err := net.Dial("tcp", e.addr)
	must(e.tb, err)
	e.tb.Cleanup(func() { c.Close() })
	return &conn{tb: e.tb, c: c, br: bufio.NewReader(c)}
}

func (c *conn) send(s string) {
	c.tb.Helper()
	c.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.c.Write([]byte(s)); err != nil {
		c.tb.Fatal(err)
	}
}

// read returns the next response line (without CR).
func (c *conn) read() string {
	c.tb.Helper()
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := c.br.ReadString('\r')
	if err != nil {
		c.tb.Fatalf("reading a response: %v (got %q)", err, line)
	}
	return strings.TrimSuffix(line, "\r")
}

// withAZ replaces a trailing "AZ####" with the real checksum.
func withAZ(s string) string {
	if strings.HasSuffix(s, "AZ####") {
		s = strings.TrimSuffix(s, "####")
		return s + sip2.Checksum([]byte(s))
	}
	return s
}

func (c *conn) login() {
	c.tb.Helper()
	c.send(withAZ("9300CNkiosk1|COkiosk-pass|CPMAIN-DOOR|AY0AZ####") + "\r")
	if got := c.read(); !strings.HasPrefix(got, "941") {
		c.tb.Fatalf("login: %q", got)
	}
}

func branchCheckin(barcode string) domain.CheckinRequest {
	return domain.CheckinRequest{Barcode: barcode}
}
