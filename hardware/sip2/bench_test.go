package sip2_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/hardware/sip2"
	"stacks/replicate/replicatetest"
)

// benchKiosks sets up b.N items and one identified patron on each of kiosks
// SIP2 connections over loopback TCP (as a kiosk session does: a 23 with the
// PIN first). The ACS logs at info, as branchd does by default.
func benchKiosks(b *testing.B, kiosks int) []*sip2.Client {
	e := newEnv(b, func(c *sip2.Config) {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	ctx := e.desk
	var nbs []domain.NewBiblio
	for i := 0; i < 100; i++ {
		nbs = append(nbs, domain.NewBiblio{Title: fmt.Sprintf("Bench title %d", i), Authors: []string{"Bench, B."}, Format: "book"})
	}
	ids, err := e.svc.AddBiblios(ctx, nbs)
	must(b, err)
	var nis []domain.NewItem
	for i := 0; i < b.N; i++ {
		nis = append(nis, domain.NewItem{Barcode: fmt.Sprintf("B%08d", i), BiblioID: ids[i%len(ids)], ItemType: "BOOK", HomeBranch: "MAIN"})
		if len(nis) == 1000 || i == b.N-1 {
			_, err := e.svc.AddItems(ctx, nis)
			must(b, err)
			nis = nis[:0]
		}
	}
	clients := make([]*sip2.Client, kiosks)
	for k := range clients {
		card := benchCard(k)
		_, err := e.svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: card, Surname: "Bench", Category: "ADULT", PIN: "1234"})
		must(b, err)
		cl, err := sip2.Dial(context.Background(), e.addr, nil)
		must(b, err)
		b.Cleanup(func() { cl.Close() })
		must(b, cl.Login("kiosk1", "kiosk-pass", fmt.Sprintf("BENCH-%d", k)))
		if r, err := cl.PatronStatus("STACKS", card, "1234"); err != nil || r.Value("CQ") != "Y" {
			b.Fatalf("identify: %v %v", r, err)
		}
		clients[k] = cl
	}
	return clients
}

func benchCard(k int) string { return fmt.Sprintf("2200%04d", k) }

// checkoutOne is one round trip 11 -> 12 of item i on kiosk k.
func checkoutOne(b *testing.B, cl *sip2.Client, k, i int) bool {
	r, err := cl.Checkout("STACKS", benchCard(k), "", fmt.Sprintf("B%08d", i))
	if err != nil || r.Fixed[0] != '1' {
		b.Errorf("checkout %d: %v %v", i, r, err)
		return false
	}
	return true
}

func reportLatency(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max_ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "checkouts/s")
}

// benchCheckout measures SIP2 checkout round trips (11 -> 12, durable)
// from kiosks concurrent connections in a closed loop: each kiosk sends its
// next checkout as soon as the last is answered.
func benchCheckout(b *testing.B, kiosks int) {
	clients := benchKiosks(b, kiosks)
	defer reportDiskFloor(b, diskFloor(b))
	lat := make([]time.Duration, b.N)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for k := range clients {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= b.N {
					return
				}
				t0 := time.Now()
				ok := checkoutOne(b, clients[k], k, i)
				lat[i] = time.Since(t0)
				if !ok {
					return
				}
			}
		}(k)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	reportLatency(b, lat, elapsed)
}

// benchCheckoutOpen measures an open loop: each of kiosks connections
// starts checkouts at rate per second, at Poisson-distributed moments (as
// independent patrons arrive), whether or not its last one was answered
// yet. Latency runs from the scheduled start, so time spent queueing behind
// a late answer counts. b.N checkouts in all.
func benchCheckoutOpen(b *testing.B, kiosks int, rate float64) {
	clients := benchKiosks(b, kiosks)
	defer reportDiskFloor(b, diskFloor(b))
	lat := make([]time.Duration, b.N)
	rt := make([]time.Duration, b.N) // from the moment the request was sent
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for k := range clients {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(k), 42))
			timer := time.NewTimer(0)
			<-timer.C
			at := start
			for i := k; i < b.N; i += kiosks {
				at = at.Add(time.Duration(rng.ExpFloat64() / rate * float64(time.Second)))
				if d := time.Until(at); d > 0 {
					timer.Reset(d) // pacing to the schedule, not waiting for a condition
					<-timer.C
				}
				sent := time.Now()
				ok := checkoutOne(b, clients[k], k, i)
				lat[i], rt[i] = time.Since(at), time.Since(sent)
				if !ok {
					return
				}
			}
		}(k)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	reportLatency(b, lat, elapsed)
	// The round trip alone leaves out a kiosk's own lateness: waiting for
	// its last answer, or a timer firing late on a busy machine.
	slices.Sort(rt)
	b.ReportMetric(float64(rt[len(rt)*99/100].Microseconds())/1000, "rt_p99_ms")
}

func BenchmarkSIP2Checkout1(b *testing.B)  { benchCheckout(b, 1) }
func BenchmarkSIP2Checkout20(b *testing.B) { benchCheckout(b, 20) }

// 20 kiosks at 5 checkouts/s each (100/s offered), 25/s (500/s) and 50/s
// (1,000/s).
func BenchmarkSIP2CheckoutOpen20x1(b *testing.B)  { benchCheckoutOpen(b, 20, 1) }
func BenchmarkSIP2CheckoutOpen20x5(b *testing.B)  { benchCheckoutOpen(b, 20, 5) }
func BenchmarkSIP2CheckoutOpen20x25(b *testing.B) { benchCheckoutOpen(b, 20, 25) }
func BenchmarkSIP2CheckoutOpen20x50(b *testing.B) { benchCheckoutOpen(b, 20, 50) }

// diskFloor measures, just before the timed part and on the same file
// system, what one durable commit costs the disk alone (a 4 KiB write and
// fdatasync, 2,000 times): every checkout waits for at least one, so its
// p99 bounds the checkouts' p99 from below. reportDiskFloor reports it
// (after the timed part: ResetTimer drops metrics reported before).
func diskFloor(b *testing.B) []time.Duration {
	lat, err := replicatetest.DiskSyncLatencies(b.TempDir(), 2000)
	must(b, err)
	return lat
}

func reportDiskFloor(b *testing.B, lat []time.Duration) {
	b.ReportMetric(float64(replicatetest.Percentile(lat, 50).Microseconds())/1000, "disk_sync_p50_ms")
	b.ReportMetric(float64(replicatetest.Percentile(lat, 99).Microseconds())/1000, "disk_sync_p99_ms")
}
