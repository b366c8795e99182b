package replicatetest

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// DiskSyncLatencies measures the floor under every durable commit: n
// appends of one 4 KiB page (a small WAL commit) to a file in dir, each
// followed by fdatasync, as SQLite does for a commit with
// synchronous=FULL. The latencies come back sorted. Benchmarks report
// their percentiles beside their own, so that a durable latency target can
// be read against what the disk allows.
func DiskSyncLatencies(dir string, n int) ([]time.Duration, error) {
	f, err := os.OpenFile(filepath.Join(dir, "sync-probe"), os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	page := make([]byte, 4096)
	lat := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t := time.Now()
		// Like a WAL: append, and start over now and then.
		if _, err := f.WriteAt(page, int64(i%1000)*int64(len(page))); err != nil {
			return nil, err
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(t))
	}
	slices.Sort(lat)
	return lat, nil
}

// Percentile is the p-th percentile (0-100) of sorted latencies.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p/100))]
}
