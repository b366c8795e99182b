package branch_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

var trickleGap = flag.Duration("trickle.gap", time.Second, "time between checkouts in BenchmarkCheckoutTrickle")

// BenchmarkCheckoutTrickle is a quiet desk: one durable checkout every
// -trickle.gap (a second by default), each timed from the call to its
// answer. Its limit is measured in the same run and at the same pace: half
// a gap after each checkout, one 4 KiB page is written and fdatasync'd
// beside the database (what a small WAL commit asks of the disk), so the
// probe meets the same idle disk, idle CPU and neighbours as the checkout.
// The closed-loop probe (2,000 syncs back to back, as the other checkout
// benchmarks report) is given too: it is not the limit at this pace, since
// a disk that was idle syncs several times slower. commit_p50_ms is the op
// log's own COMMIT (WAL write and fsync) inside the checkout, work_p50_ms
// its SQL, queued_p50_ms its wait for the writer goroutine.
//
//	go test ./branch -run xxx -bench CheckoutTrickle -benchtime 300x -timeout 0
func BenchmarkCheckoutTrickle(b *testing.B) {
	var mu sync.Mutex
	var queued, work, commits []time.Duration
	var mine []int // the batches that committed a checkout (the rest: catch-up passes)
	dir := b.TempDir()
	// A hundred patrons take turns, so each has a patron's history (a few
	// loans), not thousands: derived work (recommendations, limits) reads it.
	e, cards, barcodes := benchEnvWith(b, branchtest.Options{Node: 1, Branch: "MAIN", Dir: dir, Clock: replicatetest.NewClock(monday), Deferred: !*benchInline, CatchUpSettle: benchSettle,
		ObserveBatch: func(bt replicate.BatchTiming) {
			mu.Lock()
			queued, work, commits = append(queued, bt.Queued), append(work, bt.Work), append(commits, bt.Commit)
			mu.Unlock()
		}}, 100, b.N)
	closed, err := replicatetest.DiskSyncLatencies(dir, 2000)
	mustNoErr(b, err)
	probe, err := os.OpenFile(filepath.Join(dir, "paced-probe"), os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600)
	mustNoErr(b, err)
	defer probe.Close()
	page := make([]byte, 4096)
	mu.Lock()
	queued, work, commits = queued[:0], work[:0], commits[:0]
	mu.Unlock()
	lat := make([]time.Duration, 0, b.N)
	paced := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		time.Sleep(*trickleGap / 2) // pacing, not waiting for a condition
		t0 := time.Now()
		if _, err := e.svc.Checkout(e.clerk, domain.CheckoutRequest{Cardnumber: cards[i%len(cards)], Barcode: barcodes[i]}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		// The checkout's batch is the last one timed when it returns (the
		// writer runs the catch-up pass it woke in a later batch).
		mu.Lock()
		mine = append(mine, len(work)-1)
		mu.Unlock()
		time.Sleep(*trickleGap / 2)
		t1 := time.Now()
		if _, err := probe.WriteAt(page, int64(i%1000)*4096); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(probe.Fd())); err != nil {
			b.Fatal(err)
		}
		paced = append(paced, time.Since(t1))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	slices.Sort(paced)
	mu.Lock()
	defer mu.Unlock()
	// Split the checkouts' batches from the catch-up passes'.
	var cq, cw, cc, uw, uc []time.Duration
	isMine := map[int]bool{}
	for _, i := range mine {
		isMine[i] = true
	}
	for i := range work {
		if isMine[i] {
			cq, cw, cc = append(cq, queued[i]), append(cw, work[i]), append(cc, commits[i])
		} else {
			uw, uc = append(uw, work[i]), append(uc, commits[i])
		}
	}
	queued, work, commits = cq, cw, cc
	slices.Sort(queued)
	slices.Sort(work)
	slices.Sort(commits)
	slices.Sort(uw)
	slices.Sort(uc)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	p := replicatetest.Percentile
	b.ReportMetric(ms(p(lat, 50)), "p50-ms")
	b.ReportMetric(ms(p(lat, 99)), "p99-ms")
	b.ReportMetric(ms(p(queued, 50)), "queued_p50_ms")
	b.ReportMetric(ms(p(work, 50)), "work_p50_ms")
	b.ReportMetric(ms(p(commits, 50)), "commit_p50_ms")
	b.ReportMetric(ms(p(commits, 99)), "commit_p99_ms")
	if len(uw) > 0 {
		b.ReportMetric(float64(len(uw)), "catchup_batches")
		b.ReportMetric(ms(p(uw, 50)), "catchup_work_p50_ms")
		b.ReportMetric(ms(p(uc, 50)), "catchup_commit_p50_ms")
	}
	b.ReportMetric(ms(p(paced, 50)), "paced_sync_p50_ms")
	b.ReportMetric(ms(p(paced, 99)), "paced_sync_p99_ms")
	b.ReportMetric(ms(p(closed, 50)), "disk_sync_p50_ms")
	b.ReportMetric(ms(p(closed, 99)), "disk_sync_p99_ms")
	b.ReportMetric(float64(p(lat, 50))/float64(p(paced, 50)), "x_paced_p50")
	b.ReportMetric(float64(p(lat, 99))/float64(p(paced, 99)), "x_paced_p99")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "checkouts/s")
}
