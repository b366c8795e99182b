package sip2_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"stacks/branch"
	"stacks/hardware/sip2"
)

// benchCheckout measures SIP2 checkout round trips (11 -> 12, durable)
// from kiosks concurrent connections over loopback TCP, each serving one
// patron who identified with a PIN first (as a kiosk session does).
func benchCheckout(b *testing.B, kiosks int) {
	e := newEnv(b)
	ctx := e.desk
	var nbs []branch.NewBiblio
	for i := 0; i < 100; i++ {
		nbs = append(nbs, branch.NewBiblio{Title: fmt.Sprintf("Bench title %d", i), Authors: []string{"Bench, B."}, Format: "book"})
	}
	ids, err := e.svc.AddBiblios(ctx, nbs)
	must(b, err)
	var nis []branch.NewItem
	for i := 0; i < b.N; i++ {
		nis = append(nis, branch.NewItem{Barcode: fmt.Sprintf("B%08d", i), BiblioID: ids[i%len(ids)], ItemType: "BOOK", HomeBranch: "MAIN"})
		if len(nis) == 1000 || i == b.N-1 {
			_, err := e.svc.AddItems(ctx, nis)
			must(b, err)
			nis = nis[:0]
		}
	}
	cards := make([]string, kiosks)
	for k := range cards {
		cards[k] = fmt.Sprintf("2200%04d", k)
		_, err := e.svc.RegisterPatron(ctx, branch.NewPatron{Cardnumber: cards[k], Surname: "Bench", Category: "ADULT", PIN: "1234"})
		must(b, err)
	}
	clients := make([]*sip2.Client, kiosks)
	for k := range clients {
		cl, err := sip2.Dial(context.Background(), e.addr, nil)
		must(b, err)
		defer cl.Close()
		must(b, cl.Login("kiosk1", "kiosk-pass", fmt.Sprintf("BENCH-%d", k)))
		if r, err := cl.PatronStatus("STACKS", cards[k], "1234"); err != nil || r.Value("CQ") != "Y" {
			b.Fatalf("identify: %v %v", r, err)
		}
		clients[k] = cl
	}
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
				r, err := clients[k].Checkout("STACKS", cards[k], "", fmt.Sprintf("B%08d", i))
				lat[i] = time.Since(t0)
				if err != nil || r.Fixed[0] != '1' {
					b.Errorf("checkout %d: %v %v", i, r, err)
					return
				}
			}
		}(k)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "checkouts/s")
}

func BenchmarkSIP2Checkout1(b *testing.B)  { benchCheckout(b, 1) }
func BenchmarkSIP2Checkout20(b *testing.B) { benchCheckout(b, 20) }
