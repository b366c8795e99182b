package replicatetest

import (
	"io"
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

// SyncedCopy copies from to to and fsyncs the copy, reading from once
// first so that it comes from the page cache as a live database's file
// would, and reports how long the copy and its sync took: the floor under
// any transfer of that many bytes (a snapshot, a bootstrap) on this disk.
// The copy is left in place for the caller to remove.
func SyncedCopy(from, to string) (time.Duration, error) {
	if f, err := os.Open(from); err == nil {
		io.Copy(io.Discard, f)
		f.Close()
	}
	start := time.Now()
	in, err := os.Open(from)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return 0, err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
