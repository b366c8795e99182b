package replicatetest

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ClosedLoop runs b.N calls of do (numbered 1 to b.N) from clients
// goroutines, each sending its next call as soon as its last is answered,
// and returns every call's latency, sorted. It resets the benchmark's
// timer before the first call and stops it after the last; the first error
// fails the benchmark.
func ClosedLoop(b *testing.B, clients int, do func(i int) error) []time.Duration {
	b.Helper()
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > b.N {
					return
				}
				t0 := time.Now()
				if err := do(i); err != nil {
					errs <- err
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	return all
}
