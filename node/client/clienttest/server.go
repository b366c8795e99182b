// Package clienttest runs a real Stacks API in-process for tests of API
// clients (node/client, the TUI): a branch service over real SQLite in a
// temp dir, on a fake clock, seeded with a small deterministic library,
// served over a real loopback listener.
package clienttest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/node/httpapi"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// Start is the fixture's "now": Monday 3 March 2025, 10:00 UTC.
var Start = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)

// Clock is a clock tests move by hand.
type Clock = replicatetest.Clock

// NewClock returns a clock stopped at t.
var NewClock = replicatetest.NewClock

// Server is a seeded branch MAIN served over HTTP.
type Server struct {
	URL     string
	Clock   *Clock
	Service *branch.Service
	Admin   context.Context // acts as the admin staff login

	Patrons map[string]*domain.Patron // by first name
	Biblios map[string]*domain.Biblio // by title
	Items   map[string]*domain.Item   // by barcode
	// Printers is the receipt printing, with Options.Printing.
	Printers *Printers

	mu    sync.Mutex
	peers []apitype.PeerStatus
	srv   *httptest.Server
}

// Close stops serving, as an appliance that went away; tests use it to see
// how clients cope.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// SetPeers sets what GET /api/v1/cluster/peers answers.
func (s *Server) SetPeers(ps []apitype.PeerStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peers = ps
}

func (s *Server) peerStatus() []apitype.PeerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]apitype.PeerStatus(nil), s.peers...)
}

// Options change the fixture.
type Options struct {
	// Logger receives the service's and API's logs; nil means tb.Log at
	// warning level and above.
	Logger *slog.Logger
	// Conflict adds a duplicate card number (21000000000009) registered on
	// a second node and merged, so the conflicts queue has one entry.
	Conflict bool
	// Incoming has a second node, EAST, check in The Hobbit's B0001 (on
	// MAIN's shelf) and send it home, and merges that here: B0001 is then
	// in transit to MAIN.
	Incoming bool
	// Printing serves the print routes with a spool and two emulated
	// printers (Server.Printers).
	Printing bool
}

// New starts a seeded server; it stops when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s := &Server{Clock: NewClock(Start), Patrons: map[string]*domain.Patron{},
		Biblios: map[string]*domain.Biblio{}, Items: map[string]*domain.Item{}}
	s.Service = openService(tb, 1, "MAIN", s.Clock, lg)
	s.Admin = domain.WithActor(context.Background(), domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	s.seed(tb)
	if opts.Conflict {
		s.duplicateCard(tb, lg)
	}
	if opts.Incoming {
		s.sendHome(tb, lg)
	}
	s.Clock.Set(Start)
	acfg := httpapi.Config{Service: s.Service, Logger: lg, Clock: s.Clock, Location: time.UTC, Peers: s.peerStatus}
	if opts.Printing {
		s.Printers = startPrinters(tb, s.Service)
		acfg.Printing = s.Printers
	}
	api, err := httpapi.New(acfg)
	if err != nil {
		tb.Fatal(err)
	}
	s.srv = httptest.NewServer(api.Handler())
	tb.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

func openService(tb testing.TB, node replicate.NodeID, branchID string, clock replicate.Clock, lg *slog.Logger) *branch.Service {
	tb.Helper()
	return branchtest.Open(tb, branchtest.Options{Node: node, Branch: branchID, Clock: clock, Logger: lg, PINCost: bcrypt.MinCost}).Service
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// seed creates the library. What it holds, as of Start:
//   - branches MAIN (Main Library) and EAST (East Branch); categories ADULT
//     and CHILD; item types BOOK, DVD and REF (reference, not loanable);
//   - staff admin/admin (admin), super/super (supervisor), clerk/clerk
//     (circulation);
//   - patrons Alice Archer 21000000000001, Bob Baker ...02, Carol Cooper
//     ...03 (home EAST, CHILD), Dave Dodd ...04 (blocked);
//   - titles with copies: The Hobbit B0001 B0002 (a book and 2 CDs), Dune D0001, World Atlas
//     R0001 (REF), Alien V0001 (DVD), Emma E0001, Moby Dick M0001;
//   - Alice has Dune (D0001) on loan, 9 days overdue; Bob holds Dune
//     (waiting, pickup MAIN), so its checkin traps it for him;
//   - Bob's hold on Moby Dick is ready on the shelf; Alice's hold on Alien
//     expired on the shelf (to clear, as the
//     sweeper found at Start); Carol holds Emma for pickup at EAST
//     (to pull; its checkin sends it in transit);
//   - Bob owes 3.00 for a damaged cover.
func (s *Server) seed(tb testing.TB) {
	tb.Helper()
	ctx, svc, c := s.Admin, s.Service, s.Clock
	c.Set(Start.AddDate(0, 0, -30))
	branchtest.SeedPolicy(tb, ctx, svc)
	for _, st := range []domain.NewStaff{
		{Username: "admin", DisplayName: "Ada Admin", Role: domain.RoleAdmin, BranchID: "MAIN", Password: "admin"},
		{Username: "super", DisplayName: "Sam Super", Role: domain.RoleSupervisor, BranchID: "MAIN", Password: "super"},
		{Username: "clerk", DisplayName: "Cleo Clerk", Role: domain.RoleCirculation, BranchID: "MAIN", Password: "clerk"},
	} {
		_, err := svc.SetStaff(ctx, st)
		must(tb, err)
	}
	for _, np := range []domain.NewPatron{
		{Cardnumber: "21000000000001", Firstname: "Alice", Surname: "Archer", Category: "ADULT", PIN: "1234", Email: "alice@example.org", Phone: "555-0101"},
		{Cardnumber: "21000000000002", Firstname: "Bob", Surname: "Baker", Category: "ADULT", PIN: "1234", Email: "bob@example.org"},
		{Cardnumber: "21000000000003", Firstname: "Carol", Surname: "Cooper", Category: "CHILD", PIN: "1234", HomeBranch: "EAST"},
		{Cardnumber: "21000000000004", Firstname: "Dave", Surname: "Dodd", Category: "ADULT", PIN: "1234"},
	} {
		p, err := svc.RegisterPatron(ctx, np)
		must(tb, err)
		s.Patrons[p.Firstname] = p
	}
	_, err := svc.BlockPatron(ctx, s.Patrons["Dave"].PatronID, "lost three books")
	must(tb, err)
	for _, b := range []struct {
		nb    domain.NewBiblio
		items []domain.NewItem
	}{
		{domain.NewBiblio{Title: "The Hobbit", Authors: []string{"Tolkien, J. R. R."}, ISBN: "9780261102217", Year: 1937},
			[]domain.NewItem{{Barcode: "B0001", ItemType: "BOOK"}, {Barcode: "B0002", ItemType: "BOOK", HomeBranch: "EAST", Properties: "book and 2 CDs"}}},
		{domain.NewBiblio{Title: "Dune", Authors: []string{"Herbert, Frank"}, Year: 1965},
			[]domain.NewItem{{Barcode: "D0001", ItemType: "BOOK", PriceCents: 1800}}},
		{domain.NewBiblio{Title: "World Atlas", Format: "map"},
			[]domain.NewItem{{Barcode: "R0001", ItemType: "REF"}}},
		{domain.NewBiblio{Title: "Alien", Format: "dvd", Year: 1979},
			[]domain.NewItem{{Barcode: "V0001", ItemType: "DVD"}}},
		{domain.NewBiblio{Title: "Emma", Authors: []string{"Austen, Jane"}, Year: 1815},
			[]domain.NewItem{{Barcode: "E0001", ItemType: "BOOK"}}},
		{domain.NewBiblio{Title: "Moby Dick", Authors: []string{"Melville, Herman"}, Year: 1851},
			[]domain.NewItem{{Barcode: "M0001", ItemType: "BOOK"}}},
	} {
		bib, err := svc.AddBiblio(ctx, b.nb)
		must(tb, err)
		s.Biblios[bib.Title] = bib
		for _, ni := range b.items {
			ni.BiblioID = bib.BiblioID
			it, err := svc.AddItem(ctx, ni)
			must(tb, err)
			s.Items[it.Barcode] = it
		}
	}
	p := s.Patrons
	_, err = svc.Checkout(ctx, domain.CheckoutRequest{PatronID: p["Alice"].PatronID, Barcode: "D0001"})
	must(tb, err)

	c.Set(Start.AddDate(0, 0, -20))
	_, err = svc.PlaceHold(ctx, domain.HoldRequest{PatronID: p["Alice"].PatronID, BiblioID: s.Biblios["Alien"].BiblioID, PickupBranch: "MAIN"})
	must(tb, err)
	_, err = svc.Checkin(ctx, domain.CheckinRequest{Barcode: "V0001"})
	must(tb, err)

	c.Set(Start.AddDate(0, 0, -1))
	_, err = svc.PlaceHold(ctx, domain.HoldRequest{PatronID: p["Bob"].PatronID, BiblioID: s.Biblios["Moby Dick"].BiblioID, PickupBranch: "MAIN"})
	must(tb, err)
	_, err = svc.Checkin(ctx, domain.CheckinRequest{Barcode: "M0001"})
	must(tb, err)
	_, err = svc.PlaceHold(ctx, domain.HoldRequest{PatronID: p["Bob"].PatronID, BiblioID: s.Biblios["Dune"].BiblioID, PickupBranch: "MAIN"})
	must(tb, err)
	_, err = svc.PlaceHold(ctx, domain.HoldRequest{PatronID: p["Carol"].PatronID, BiblioID: s.Biblios["Emma"].BiblioID, PickupBranch: "EAST"})
	must(tb, err)
	_, err = svc.Charge(ctx, p["Bob"].PatronID, domain.ChargeRequest{AmountCents: 300, Kind: "damage", Description: "Damaged cover"})
	must(tb, err)
	c.Set(Start)
	_, err = svc.ExpireHolds(ctx)
	must(tb, err)
}

// exchange merges into to the ops of from that it lacks.
func exchange(tb testing.TB, from, to *branch.Service) {
	tb.Helper()
	ctx := context.Background()
	vv, err := to.Log().VersionVector(ctx)
	must(tb, err)
	ops, err := from.Log().Ops(ctx, vv, 0)
	must(tb, err)
	_, err = to.Log().Integrate(ctx, ops)
	must(tb, err)
}

// sendHome checks B0001 in at a second node, EAST, which sends it home to
// MAIN, and merges that here.
func (s *Server) sendHome(tb testing.TB, lg *slog.Logger) {
	tb.Helper()
	east := openService(tb, 3, "EAST", s.Clock, lg)
	exchange(tb, s.Service, east)
	s.Clock.Set(Start.Add(-2 * time.Hour))
	res, err := east.Checkin(s.Admin, domain.CheckinRequest{Barcode: "B0001"})
	must(tb, err)
	if res.TransitTo != "MAIN" {
		tb.Fatalf("clienttest: B0001 checked in at EAST goes to %q, not MAIN", res.TransitTo)
	}
	exchange(tb, east, s.Service)
}

// duplicateCard registers card 21000000000009 on this node and on a second
// node that had not seen it, then merges the second node's ops here.
func (s *Server) duplicateCard(tb testing.TB, lg *slog.Logger) {
	tb.Helper()
	other := openService(tb, 2, "MAIN", s.Clock, lg)
	exchange(tb, s.Service, other)
	s.Clock.Set(Start.Add(-time.Hour))
	_, err := s.Service.RegisterPatron(s.Admin, domain.NewPatron{Cardnumber: "21000000000009", Firstname: "Erin", Surname: "Evans", Category: "ADULT", PIN: "1234"})
	must(tb, err)
	_, err = other.RegisterPatron(s.Admin, domain.NewPatron{Cardnumber: "21000000000009", Firstname: "Evan", Surname: "Ellis", Category: "ADULT", PIN: "1234"})
	must(tb, err)
	exchange(tb, other, s.Service)
}

// tbWriter sends log lines to the test's log.
type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Logf("%s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

var _ io.Writer = tbWriter{}
