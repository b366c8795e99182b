package branch_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// TestApplyBatchSizes: a branch's whole log (every op kind, overrides,
// conflicts) integrated in batches of any size, one op at a time, or all
// at once, in log order or shuffled with duplicates, gives the state the
// branch built op by op.
func TestApplyBatchSizes(t *testing.T) {
	seeds := []uint64{11, 12}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		e := newEnv(t)
		workload(t, e, seed, 250)
		want := e.hash()
		ops, err := e.log.AllOps(context.Background())
		mustNoErr(t, err)
		r := rand.New(rand.NewPCG(seed, 5))
		shuffled := append([]replicate.Op(nil), ops...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		shuffled = append(shuffled, shuffled[:len(shuffled)/5]...)
		// The op-by-op oracle folds the same log to the same state.
		t.Run(fmt.Sprintf("%d/oracle", seed), func(t *testing.T) {
			oracle := branchtest.Open(t, branchtest.Options{Node: 9, Clock: replicatetest.NewClock(monday), Applier: branch.OpByOpOracle()})
			for i := 0; i < len(shuffled); i += 50 {
				_, err := oracle.Log.Integrate(context.Background(), shuffled[i:min(i+50, len(shuffled))])
				mustNoErr(t, err)
			}
			if got, err := oracle.Service.StateHash(context.Background()); err != nil || got != want {
				t.Errorf("hash %s (%v), want %s", got, err, want)
			}
		})
		for _, size := range []int{1, 7, 100, len(shuffled)} {
			for name, order := range map[string][]replicate.Op{"log": ops, "shuffled": shuffled} {
				t.Run(fmt.Sprintf("%d/%s/%d", seed, name, size), func(t *testing.T) {
					fresh := openEnv(t, t.TempDir(), 9, "MAIN", replicatetest.NewClock(monday))
					for i := 0; i < len(order); i += size {
						_, err := fresh.log.Integrate(context.Background(), order[i:min(i+size, len(order))])
						mustNoErr(t, err)
					}
					if got := fresh.hash(); got != want {
						t.Errorf("hash %s, want %s", got, want)
					}
				})
			}
		}
	}
}
