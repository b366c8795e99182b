package node_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/peersync"
	"stacks/replicate/replicatetest"
)

type benchNode struct {
	db  *replicate.DB
	log *replicate.Log
	svc *branch.Service
}

// openBenchNode opens a branch node; noSync skips fsync (for a source whose
// durability the benchmark does not measure).
func openBenchNode(b *testing.B, id replicate.NodeID, branchID string, noSync bool) *benchNode {
	ctx := context.Background()
	db, err := replicate.OpenDBOptions(ctx, filepath.Join(b.TempDir(), "n.db"), branch.Migrations(), replicate.DBOptions{NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	lg := replicate.NewLog(db, replicate.DefaultConfig(id), branch.Applier{})
	if err := lg.Open(ctx); err != nil {
		b.Fatal(err)
	}
	cfg := branch.DefaultConfig(branchID)
	cfg.Rand, cfg.PINCost = replicatetest.NewRand(byte(id)), 4
	svc, err := branch.NewService(lg, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { lg.Close(); db.Close() })
	return &benchNode{db: db, log: lg, svc: svc}
}

// catchUpSource is a branch with about n ops: a catalogue of copies and a
// stream of checkouts and returns.
func catchUpSource(b *testing.B, n int) *benchNode {
	src := openBenchNode(b, 1, "MAIN", true)
	ctx := domain.WithActor(context.Background(), domain.Actor{ID: "bench", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(src.svc.SetLibrary(ctx, domain.Library{BranchID: "MAIN", Name: "Main"}))
	must(src.svc.SetCategory(ctx, domain.Category{Category: "ADULT", MaxFineCents: 100000}))
	must(src.svc.SetItemType(ctx, domain.ItemType{ItemType: "BOOK"}))
	must(src.svc.SetRule(ctx, domain.Rule{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 21, Renewals: 2, MaxLoans: 10000, HoldsAllowed: true}))
	var cards []string
	for i := 0; i < 50; i++ {
		p, err := src.svc.RegisterPatron(ctx, domain.NewPatron{Surname: fmt.Sprint("P", i), Category: "ADULT", PIN: "1234"})
		must(err)
		cards = append(cards, p.Cardnumber)
	}
	bib, err := src.svc.AddBiblio(ctx, domain.NewBiblio{Title: "Catch-up"})
	must(err)
	items := n * 6 / 10
	var batch []domain.NewItem
	for i := 0; i < items; i++ {
		batch = append(batch, domain.NewItem{Barcode: fmt.Sprintf("C%08d", i), BiblioID: bib.BiblioID, ItemType: "BOOK"})
		if len(batch) == 1000 || i == items-1 {
			_, err := src.svc.AddItems(ctx, batch)
			must(err)
			batch = batch[:0]
		}
	}
	for i := 0; ; i++ {
		vv, _ := src.log.VersionVector(context.Background())
		if vv[1] >= uint64(n) {
			break
		}
		bc := fmt.Sprintf("C%08d", i%items)
		if _, err := src.svc.Checkout(ctx, domain.CheckoutRequest{Cardnumber: cards[i%len(cards)], Barcode: bc}); err != nil {
			_, err = src.svc.Checkin(ctx, domain.CheckinRequest{Barcode: bc})
			must(err)
		}
	}
	return src
}

// BenchmarkCatchUp50k: a new branch pulls 50,000 ops (catalogue, loans,
// returns) from a peer over loopback HTTP and applies them durably
// (synchronous=FULL). Each iteration is a new, empty branch; run it with
// -benchtime 5x for five catch-ups from one source (best-s and median-s
// are over those).
func BenchmarkCatchUp50k(b *testing.B) {
	const n = 50_000
	src := catchUpSource(b, n)
	validate := func(op replicate.Op) error { return nil }
	sd := peersync.NewServer(src.log, validate, nil)
	mux := http.NewServeMux()
	sd.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	want, _ := src.svc.StateHash(context.Background())
	b.ResetTimer()
	var total time.Duration
	var each []time.Duration
	var bytesIn int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dst := openBenchNode(b, replicate.NodeID(100+i), "EAST", false)
		s := peersync.NewSyncer(dst.log, peersync.SyncerConfig{Validate: validate})
		b.StartTimer()
		start := time.Now()
		if err := s.SyncOnce(context.Background(), srv.URL); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		each = append(each, time.Since(start))
		b.StopTimer()
		st := s.Status()[0]
		bytesIn = st.BytesIn
		if got, _ := dst.svc.StateHash(context.Background()); got != want || st.OpsPulled < n {
			b.Fatalf("pulled %d ops; state %s, want %s", st.OpsPulled, got, want)
		}
		b.StartTimer()
	}
	slices.Sort(each)
	b.ReportMetric(total.Seconds()/float64(b.N), "s/catch-up")
	b.ReportMetric(each[0].Seconds(), "best-s")
	b.ReportMetric(each[len(each)/2].Seconds(), "median-s")
	b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "ops/s")
	b.ReportMetric(float64(bytesIn)/float64(n), "wire-bytes/op")
}
