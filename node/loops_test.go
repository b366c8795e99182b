package node_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node"
	"stacks/node/nodetest"
	"stacks/replicate/clock"
)

// TestHoldSweeperRunsOnTheClock: the hold-shelf sweeper, the digital loan
// sweeper and the WAL checkpointer take their tickers from the node's
// clock; holds left on the shelf expire, and an e-book loan ends by itself,
// once the fake clock passes their last day and the sweep interval, with
// no sleep and no wait for wall-clock time.
func TestHoldSweeperRunsOnTheClock(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.Branch = filepath.Join(t.TempDir(), "main"), "127.0.0.1:0", 4, "MAIN"
	cfg.Demo, cfg.Clock, cfg.Location, cfg.HoldSweep = true, fake, time.UTC, time.Hour
	n := nodetest.Start(t, cfg)
	// Armed on the fake clock: the checkpointer's ticker, the sweepers' (holds, digital loans,
	// privacy's anonymisation), the search index's catch-up, the events' waitlist promotion,
	// the search counts' flush, the snapshot server's sweep of kept snapshots and the derived
	// state's catch-up (insight, recommendations), which may also wait on its settle timer
	// (the demo library's ops noted for it, derived once the fake clock moves).
	eventually(t, 20*time.Second, "the checkpointer, the sweepers, the search catch-up, the events' promotion, the search counts' flush, the snapshots' sweep and the derived state's catch-up to arm their tickers", func() bool {
		w := fake.Waiting()
		return w == 9 || w == 10
	})
	ctx := domain.WithActor(context.Background(), domain.Actor{ID: "test", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
	// A copy trapped for a hold, on MAIN's shelf.
	svc := n.Service()
	p, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: "99990001", Firstname: "Shelf", Surname: "Test", Category: "ADULT", PIN: "1234", HomeBranch: "MAIN"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.AddBiblio(ctx, domain.NewBiblio{Title: "Sweeping", Authors: []string{"Broom, A."}, Format: "book"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddItem(ctx, domain.NewItem{Barcode: "SWEEP1", BiblioID: b.BiblioID, ItemType: "BOOK", HomeBranch: "MAIN"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PlaceHold(ctx, domain.HoldRequest{PatronID: p.PatronID, BiblioID: b.BiblioID, PickupBranch: "MAIN"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Checkin(ctx, domain.CheckinRequest{Barcode: "SWEEP1"}); err != nil {
		t.Fatal(err)
	}
	shelf, err := svc.HoldShelf(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ready := len(shelf.Ready)
	if ready == 0 {
		t.Fatal("no hold ready on MAIN's shelf")
	}
	// An e-book lent on this standalone appliance (14 days in the demo's rules).
	eb, err := svc.AddBiblio(ctx, domain.NewBiblio{Title: "Sweeping, the e-book", Format: "ebook", Licences: 1})
	if err != nil {
		t.Fatal(err)
	}
	loan, err := n.Digital().Borrow(ctx, domain.DigitalRequest{PatronID: p.PatronID, BiblioID: eb.BiblioID}, "en")
	if err != nil {
		t.Fatal(err)
	}
	// A month on, every hold on the shelf is past its last day and the
	// e-book's loan period is over: the next sweeps expire the holds and
	// end the loan.
	fake.Advance(30 * 24 * time.Hour)
	eventually(t, 20*time.Second, "the sweep", func() bool {
		shelf, err := n.Service().HoldShelf(ctx)
		return err == nil && len(shelf.Ready) == 0 && len(shelf.ToClear) >= ready
	})
	eventually(t, 20*time.Second, "the e-book's loan to end", func() bool {
		l, err := n.Digital().Loan(ctx, loan.Loan.LoanID)
		return err == nil && l.ReturnReason == "expired"
	})
}

// TestMetricsCountWhatWasCommitted: insight derives its counts in a
// catch-up pass after each commit, which waits on a settle timer of the
// node's clock; a scrape of /metrics runs that pass first, so today's
// gauges count a registration committed just before it, although the fake
// clock never lets the timer fire.
func TestMetricsCountWhatWasCommitted(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.Branch = filepath.Join(t.TempDir(), "main"), "127.0.0.1:0", 4, "MAIN"
	cfg.Demo, cfg.Clock, cfg.Location = true, fake, time.UTC
	n := nodetest.Start(t, cfg)
	ctx := domain.WithActor(context.Background(), domain.Actor{ID: "test", Role: domain.RoleAdmin, Channel: domain.ChannelWeb})
	if _, err := n.Service().RegisterPatron(ctx, domain.NewPatron{Cardnumber: "99990002", Firstname: "Counted", Surname: "Once", Category: "ADULT", PIN: "1234", HomeBranch: "MAIN"}); err != nil {
		t.Fatal(err)
	}
	resp, err := asAdmin("GET", "http://"+n.Addr()+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `stacks_insight_today{channel="web",library_id="MAIN",metric="registrations"} 1`
	if !strings.Contains(string(raw), want) {
		t.Errorf("metrics lack %s; insight's lines:\n%s", want, grepLines(string(raw), "stacks_insight"))
	}
}
