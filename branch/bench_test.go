package branch_test

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// benchEnv is a branch with 16 patrons allowed unlimited loans and n items,
// on the real clock (durable commits, WAL, synchronous=FULL).
func benchEnv(b *testing.B, n int) (*env, []string, []string) {
	b.Helper()
	return benchEnvWith(b, branchtest.Options{Node: 1, Branch: "MAIN", Dir: b.TempDir(), Clock: replicatetest.NewClock(monday),
		Deferred: !*benchInline, CatchUpSettle: benchSettle}, 16, n)
}

// benchInline derives insight's and the recommendations' state inline, in
// each checkout's transaction, instead of in catch-up passes after the
// commit as a node does (branch.Deferral), to compare the two.
var benchInline = flag.Bool("bench.inline", false, "derive insight and recommendations inline in the checkout benchmarks")

// benchSettle is the catch-up loop's settle in the checkout benchmarks:
// node's (catchUpSettle).
const benchSettle = 20 * time.Millisecond

// caughtUp runs the catch-up passes a checkout benchmark's checkouts left,
// so that their derived work is inside the timing.
func caughtUp(b *testing.B, e *env) {
	if err := e.svc.CatchUp(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// benchEnvWith is benchEnv with the log's options and the number of
// patrons given.
func benchEnvWith(b *testing.B, o branchtest.Options, patrons, n int) (*env, []string, []string) {
	b.Helper()
	e := openEnvWith(b, o)
	e.setup()
	mustNoErr(b, e.svc.SetRule(e.ctx, domain.Rule{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 21, Renewals: 2,
		MaxLoans: 10000, FineCents: 25, MaxFineCents: 500, HoldsAllowed: true}))
	var cards []string
	for i := 0; i < patrons; i++ {
		cards = append(cards, e.patron(fmt.Sprintf("C%d", i), "ADULT").Cardnumber)
	}
	bib := e.title("Bench")
	var barcodes []string
	var batch []domain.NewItem
	for i := 0; i < n; i++ {
		bc := fmt.Sprintf("BENCH%08d", i)
		barcodes = append(barcodes, bc)
		batch = append(batch, domain.NewItem{Barcode: bc, BiblioID: bib.BiblioID, ItemType: "BOOK", HomeBranch: "MAIN"})
		if len(batch) == 1000 || i == n-1 {
			_, err := e.svc.AddItems(e.ctx, batch)
			mustNoErr(b, err)
			batch = batch[:0]
		}
	}
	return e, cards, barcodes
}

func reportLatency(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "checkouts/s")
}

// BenchmarkCheckout is one desk doing durable checkouts one after another.
func BenchmarkCheckout(b *testing.B) {
	e, cards, barcodes := benchEnv(b, b.N)
	ctx := e.clerk
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := e.svc.Checkout(ctx, domain.CheckoutRequest{Cardnumber: cards[i%len(cards)], Barcode: barcodes[i]}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	caughtUp(b, e)
	reportLatency(b, lat, time.Since(start))
}

// BenchmarkCheckoutConcurrent16 is 16 desks and kiosks checking out at
// once; group commit folds their transactions into shared commits.
func BenchmarkCheckoutConcurrent16(b *testing.B) { runDesks(b, 16, 0) }

// BenchmarkCheckoutPaced16 offers checkouts at a fixed rate (1,000/s) from
// 16 concurrent clients and measures latency from each request's scheduled
// start, so queueing counts (no coordinated omission).
func BenchmarkCheckoutPaced16(b *testing.B) { runDesks(b, 16, 1000) }

// runDesks runs b.N checkouts from desks concurrent clients: as fast as they
// can (rate 0), or offered at rate per second with latency measured from
// each request's scheduled start.
func runDesks(b *testing.B, desks, rate int) {
	e, cards, barcodes := benchEnv(b, b.N)
	var next atomic.Int64
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < desks; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ctx := domain.WithActor(context.Background(), domain.Actor{ID: fmt.Sprint("desk", w), Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
			var mine []time.Duration
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					break
				}
				t0 := time.Now()
				if rate > 0 {
					t0 = start.Add(time.Duration(i) * time.Second / time.Duration(rate))
					time.Sleep(time.Until(t0)) // pacing the offered load
				}
				if _, err := e.svc.Checkout(ctx, domain.CheckoutRequest{Cardnumber: cards[w%len(cards)], Barcode: barcodes[i]}); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	caughtUp(b, e)
	reportLatency(b, lat, time.Since(start))
}

// remoteOps is a branch's op log, built once per test binary: the setup,
// 16 patrons, 2,000 items and 2,000 checkouts (about 4,000 ops).
var remoteOps struct {
	once sync.Once
	ops  []replicate.Op
	err  error
}

func applyRemoteSource(b *testing.B) []replicate.Op {
	remoteOps.once.Do(func() {
		src, cards, barcodes := benchEnv(b, 2000)
		for i := 0; i < 2000; i++ {
			if _, err := src.checkout(cards[i%len(cards)], barcodes[i]); err != nil {
				remoteOps.err = err
				return
			}
		}
		remoteOps.ops, remoteOps.err = src.log.AllOps(context.Background())
	})
	mustNoErr(b, remoteOps.err)
	return remoteOps.ops
}

// BenchmarkApplyRemote integrates another branch's ops in batches of 1000
// into an empty branch (a new one for every ~4,000 ops), durably. ops/s
// counts only the time spent in Integrate. derived=inline derives insight's
// counters and the recommendations inside each batch's transaction (as
// tests and tools do); derived=after as a node does, by a catch-up pass
// after the commit (branch.Deferral): its ops/s is the rate at which ops
// reach the state, and derive-µs/op the catch-up passes' time for the same
// ops, run after each batch and timed apart.
func BenchmarkApplyRemote(b *testing.B) {
	ops := applyRemoteSource(b)
	for _, deferred := range []bool{false, true} {
		name := "derived=inline"
		if deferred {
			name = "derived=after"
		}
		b.Run(name, func(b *testing.B) {
			applied := 0
			var elapsed, derive, cpu time.Duration
			for applied < b.N {
				b.StopTimer()
				dst := openEnvWith(b, branchtest.Options{Node: 2, Branch: "EAST", Dir: b.TempDir(), Clock: replicatetest.NewClock(monday),
					Deferred: deferred, NoCatchUpLoop: true})
				b.StartTimer()
				for i := 0; i < len(ops) && applied < b.N; i += 1000 {
					batch := ops[i:min(i+1000, len(ops), i+b.N-applied)]
					start, cpu0 := time.Now(), processCPU()
					if _, err := dst.log.Integrate(context.Background(), batch); err != nil {
						b.Fatal(err)
					}
					elapsed += time.Since(start)
					cpu += processCPU() - cpu0
					start = time.Now()
					if err := dst.svc.CatchUp(context.Background()); err != nil {
						b.Fatal(err)
					}
					derive += time.Since(start)
					applied += len(batch)
				}
			}
			b.ReportMetric(float64(applied)/elapsed.Seconds(), "ops/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(applied), "cpu-µs/op")
			b.ReportMetric(float64(derive.Microseconds())/float64(applied), "derive-µs/op")
		})
	}
}

// processCPU is the CPU time (user and system) the process used so far: on
// a shared machine it varies less than the wall clock.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
