package replicate_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stacks/replicate"
	"stacks/replicate/clock"
)

// pageState reports how many of the file's pages are dirty (not yet
// written to disk) and how many are being written, from the kernel's page
// cache (cachestat(2), Linux 6.5 and later).
func pageState(t *testing.T, path string) (dirty, writeback uint64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st unix.Cachestat_t
	if err := unix.Cachestat(uint(f.Fd()), &unix.CachestatRange{}, &st, 0); err != nil {
		t.Skipf("cachestat(2) unavailable (%v): the page cache's dirty pages cannot be seen", err)
	}
	return st.Dirty, st.Writeback
}

// writeBlobs commits n rows of size bytes each through lg.
func writeBlobs(t *testing.T, lg *replicate.Log, n, size int) {
	t.Helper()
	ctx := context.Background()
	for range n {
		if err := lg.Update(ctx, func(tx *replicate.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO blob (v) VALUES (?)`, strings.Repeat("x", size))
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// onDisk skips the test where the temporary directory is not on a disk
// (tmpfs has no write-back).
func onDisk(t *testing.T, dir string) {
	t.Helper()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.TMPFS_MAGIC || fs.Type == unix.RAMFS_MAGIC {
		t.Skipf("%s is in memory: no write-back to see", dir)
	}
}

// TestWALWrittenBehind: a database that commits without fsync
// (SyncNormal, as central's) has its WAL's new pages handed to the disk on
// the write-behind ticks, long before a checkpoint (here an hour away) or
// the kernel's own write-back would write them: the checkpoint's fsync
// then has little left to flush. Three times, 1 MiB is committed and the
// WAL must be clean within a second; the kernel's own write-back and
// ext4's journal commits come every 5 s (the test without write-behind
// sees the WAL clean after 5-6 s), so all three would not fall in time by
// chance.
func TestWALWrittenBehind(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	onDisk(t, dir)
	path := filepath.Join(dir, "n.db")
	db, lg := openBlobLog(t, path, replicate.DBOptions{SyncNormal: true, Clock: fake, CheckpointEvery: time.Hour})
	for round := 1; round <= 3; round++ {
		writeBlobs(t, lg, 16, 64<<10)
		if dirty, _ := pageState(t, path+"-wal"); dirty == 0 {
			t.Fatalf("round %d: no dirty WAL page right after 1 MiB of commits without fsync: nothing to write behind", round)
		}
		deadline := time.Now().Add(time.Second)
		for {
			dirty, writeback := pageState(t, path+"-wal")
			if dirty == 0 && writeback == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: WAL pages still dirty %d, being written %d a second after the commits (%d write-behinds)", round, dirty, writeback, db.WriteBehinds())
			}
			fake.Advance(20 * time.Millisecond)
			runtime.Gosched()
		}
	}
	// The rows are all there: writing behind changed no page.
	var rows int
	if err := db.Read().QueryRow(`SELECT count(*) FROM blob`).Scan(&rows); err != nil || rows != 48 {
		t.Fatalf("%d rows (%v), want 48", rows, err)
	}
}

// TestNoWriteBehindWhenCommitsSync: a database whose commits fsync their
// WAL (FULL, every branch's) or that never syncs (NoSync, tests) runs no
// write-behind.
func TestNoWriteBehindWhenCommitsSync(t *testing.T) {
	for _, opt := range []replicate.DBOptions{{}, {NoSync: true}} {
		fake := clock.NewFake(time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC))
		opt.Clock, opt.CheckpointEvery = fake, time.Hour
		db, lg := openBlobLog(t, filepath.Join(t.TempDir(), "n.db"), opt)
		writeBlobs(t, lg, 4, 4<<10)
		for range 50 {
			fake.Advance(20 * time.Millisecond)
			runtime.Gosched()
		}
		if n := db.WriteBehinds(); n != 0 {
			t.Fatalf("%+v: %d write-behinds, want none", opt, n)
		}
	}
}
