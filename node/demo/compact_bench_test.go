package demo_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/node/demo"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// BenchmarkCompactDemo measures compaction of the op log on the demo
// library plus 3,000 loans and their returns (a standalone appliance:
// every op is stable): the ops table's bytes (sqlite3's dbstat, when the
// sqlite3 command is installed) before and after, the file's pages and
// free pages, and the time of a whole compaction pass in batches of 2,000
// ops. Run with -benchtime 1x.
func BenchmarkCompactDemo(b *testing.B) {
	for i := 0; i < b.N; i++ {
		compactDemo(b)
	}
}

func compactDemo(b *testing.B) {
	b.StopTimer()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "demo.db")
	db, err := replicate.OpenDB(ctx, path, branch.Migrations())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clk := replicatetest.NewClock(now)
	cfg := replicate.DefaultConfig(42)
	cfg.Clock = clk
	lg := replicate.NewLog(db, cfg, branch.Applier{})
	if err := lg.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer lg.Close()
	if _, err := demo.Load(ctx, lg, demo.Options{PINCost: 4, Rand: replicatetest.NewRand(1), Now: now, Location: time.UTC}); err != nil {
		b.Fatal(err)
	}
	scfg := branch.DefaultConfig("MAIN")
	scfg.Clock, scfg.Location, scfg.PINCost = clk, time.UTC, 4
	svc, err := branch.NewService(lg, scfg)
	if err != nil {
		b.Fatal(err)
	}
	desk := domain.WithActor(ctx, domain.Actor{ID: "bench", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	lend := func(from, n int) {
		loans := 0
		for k := from; loans < n && k < from+20000; k++ {
			clk.Advance(time.Minute)
			bc := fmt.Sprintf("3900000%07d", 1+k%2000)
			card := fmt.Sprintf("2100000%07d", 1+k%240)
			if _, err := svc.Checkout(desk, domain.CheckoutRequest{Cardnumber: card, Barcode: bc}); err == nil {
				loans++
				if _, err := svc.Checkin(desk, domain.CheckinRequest{Barcode: bc}); err != nil {
					b.Fatal(err)
				}
			}
		}
		if loans < n {
			b.Fatalf("only %d loans", loans)
		}
	}
	loans := 3000
	lend(0, loans)
	vv, _ := lg.VersionVector(ctx)
	var ops int
	for _, c := range vv {
		ops += int(c)
	}
	before := measure(b, db, path)

	b.StartTimer()
	start := time.Now()
	batches := 0
	for {
		res, err := lg.Compact(ctx, vv, 2000)
		if err != nil {
			b.Fatal(err)
		}
		batches++
		if !res.More {
			break
		}
	}
	pass := time.Since(start)
	b.StopTimer()
	after := measure(b, db, path)
	// Steady state: 3,000 more loans, compacted as they come (one pass):
	// the freed pages are reused, the file does not grow.
	lend(20000, 3000)
	vv2, _ := lg.VersionVector(ctx)
	start = time.Now()
	steadyOps := 0
	for {
		res, err := lg.Compact(ctx, vv2, 2000)
		if err != nil {
			b.Fatal(err)
		}
		steadyOps += res.Ops
		if !res.More {
			break
		}
	}
	steady := time.Since(start)
	final := measure(b, db, path)
	b.ReportMetric(float64(final.fileBytes), "file-bytes-after-3000-more")
	b.ReportMetric(float64(steadyOps), "ops-of-3000-more")
	b.ReportMetric(steady.Seconds()*1000, "pass-ms-3000-more")
	b.ReportMetric(float64(ops), "ops")
	b.ReportMetric(float64(loans), "loans")
	b.ReportMetric(float64(before.opsBytes), "ops-bytes-before")
	b.ReportMetric(float64(after.opsBytes), "ops-bytes-after")
	b.ReportMetric(float64(before.opsBytes)/float64(ops), "ops-bytes/op-before")
	b.ReportMetric(float64(before.fileBytes), "file-bytes-before")
	b.ReportMetric(float64(after.fileBytes), "file-bytes-after")
	b.ReportMetric(float64(after.freeBytes), "free-bytes-after")
	b.ReportMetric(pass.Seconds()*1000, "pass-ms")
	b.ReportMetric(float64(pass.Microseconds())/float64(batches)/1000, "ms/batch")
	b.ReportMetric(float64(pass.Nanoseconds())/float64(ops)/1000, "µs/op-compacted")
}

type dbSize struct{ opsBytes, fileBytes, freeBytes int64 }

// measure checkpoints the WAL and reads the ops table's bytes (dbstat,
// through the sqlite3 command) and the file's pages.
func measure(b *testing.B, db *replicate.DB, path string) dbSize {
	ctx := context.Background()
	if err := db.CheckpointTruncate(ctx); err != nil {
		b.Fatal(err)
	}
	var s dbSize
	var pages, free, size int64
	db.Read().QueryRow(`PRAGMA page_count`).Scan(&pages)
	db.Read().QueryRow(`PRAGMA freelist_count`).Scan(&free)
	db.Read().QueryRow(`PRAGMA page_size`).Scan(&size)
	s.fileBytes, s.freeBytes = pages*size, free*size
	if _, err := exec.LookPath("sqlite3"); err != nil {
		b.Log("no sqlite3 command: no dbstat")
		return s
	}
	out, err := exec.Command("sqlite3", "-readonly", path, "SELECT coalesce(sum(pgsize),0) FROM dbstat WHERE name='ops'").Output()
	if err != nil {
		b.Fatalf("dbstat: %v", err)
	}
	s.opsBytes, _ = strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	return s
}
