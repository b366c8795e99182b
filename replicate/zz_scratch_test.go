package replicate_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

func TestScratchTrickle(t *testing.T) {
	gap, _ := time.ParseDuration(os.Getenv("GAP"))
	n, _ := strconv.Atoi(os.Getenv("N"))
	applied := 0
	lg := openLog(t, 7, false, counting{&applied})
	ctx := context.Background()
	var lat []time.Duration
	for i := 0; i < n; i++ {
		if gap > 0 {
			time.Sleep(gap)
		}
		t0 := time.Now()
		err := lg.Update(ctx, func(tx *replicate.Tx) error {
			_, err := tx.Emit(ctx, "k", map[string]any{"i": i, "x": "some payload text of a checkout"}, "a", "desk")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	d, _ := replicatetest.DiskSyncLatencies(t.TempDir(), 500)
	t.Logf("update p50 %v p99 %v | disk p50 %v p99 %v", replicatetest.Percentile(lat, 50), replicatetest.Percentile(lat, 99), replicatetest.Percentile(d, 50), replicatetest.Percentile(d, 99))
}
