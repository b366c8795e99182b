package central

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stacks/replicate"
)

// BenchmarkRaftCommit measures ops/s that the central cluster commits
// from branch pushes: batches of branches' ops proposed on the leader or
// forwarded by a follower, each committed by a majority of three nodes
// (TCP on loopback, raft-boltdb with fsync) and applied to the answering
// node's SQLite (WAL, synchronous=FULL) before the call returns. clients
// is how many branches push at once (each its own origin); Raft carries
// their entries together and the state machine applies each Raft batch in
// one SQLite transaction.
func BenchmarkRaftCommit(b *testing.B) {
	// hashicorp/raft's default timing: a loaded machine must not flap.
	defer func(d time.Duration) { testHeartbeat = d }(testHeartbeat)
	testHeartbeat = time.Second
	for _, via := range []string{"leader", "follower"} {
		for _, clients := range []int{1, 16} {
			for _, batch := range []int{1, 100, 2000} {
				if clients > 1 && batch == 2000 {
					continue
				}
				b.Run(fmt.Sprintf("via=%s/clients=%d/batch=%d", via, clients, batch), func(b *testing.B) {
					benchCommit(b, via, clients, batch)
				})
			}
		}
	}
}

func benchCommit(b *testing.B, via string, clients, batch int) {
	ms := startCluster(b)
	target := leaderOf(ms)
	if via == "follower" {
		for _, m := range ms {
			if m != target {
				target = m
				break
			}
		}
	}
	var next atomic.Int64 // ops handed out so far
	var wg sync.WaitGroup
	b.ResetTimer()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			origin := replicate.NodeID(0x1000 + c)
			var counter uint64
			ops := make([]replicate.Op, batch)
			for next.Add(int64(batch)) <= int64(b.N)+int64(batch)-1 {
				for j := range ops {
					counter++
					ops[j] = replicate.Op{Origin: origin, Counter: counter, HLC: replicate.Timestamp(counter << 16), Kind: "kv",
						Payload: fmt.Appendf(nil, `{"K":"k%d-%d","V":"v%d"}`, c, counter%5000, counter)}
				}
				if n, err := target.log.Integrate(context.Background(), ops); err != nil || n != batch {
					b.Errorf("integrate: %d %v", n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
