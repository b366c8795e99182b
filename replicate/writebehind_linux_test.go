package replicate_test

import (
	"os"
	"path/filepath"
	"runtime"
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
// the kernel's own write-back (5 s and more here) would write them: the
// checkpoint's fsync then has little left to flush. Three times, 1 MiB is
// committed, and once the next tick has written behind, no page of the WAL
// is dirty any more (its pages are on their way to the disk or there) but
// the two of a frame a commit wrote into while they were being written.
func TestWALWrittenBehind(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	onDisk(t, dir)
	path := filepath.Join(dir, "n.db")
	db, lg := openBlobLog(t, path, replicate.DBOptions{SyncNormal: true, Clock: fake, CheckpointEvery: time.Hour})
	shown := 0
	for round := 1; shown < 3; round++ {
		if round > 10 {
			t.Fatalf("the WAL was dirty after its commits in only %d of 10 rounds", shown)
		}
		writeBlobs(t, lg, 16, 64<<10)
		if dirty, _ := pageState(t, path+"-wal"); dirty == 0 {
			// A tick left over from the round before wrote behind while
			// the commits ran: this round shows nothing.
			continue
		}
		shown++
		before := db.WriteBehinds()
		deadline := time.Now().Add(10 * time.Second)
		for db.WriteBehinds() == before {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: no write-behind within 10 s of ticks", round)
			}
			fake.Advance(20 * time.Millisecond)
			runtime.Gosched()
		}
		// A page being written when a commit wrote into it again (a frame
		// straddles two pages) stays dirty: the kernel does not start a
		// second write of a page under way. At most the two pages of one
		// frame; without writing behind, all 320 of the round's.
		if dirty, writeback := pageState(t, path+"-wal"); dirty > 2 {
			t.Fatalf("round %d: %d WAL pages still dirty after a write-behind (%d being written)", round, dirty, writeback)
		}
	}
	// The rows are all there: writing behind changed no page.
	var rows int
	if err := db.Read().QueryRow(`SELECT count(*) FROM blob`).Scan(&rows); err != nil || rows < 48 || rows%16 != 0 {
		t.Fatalf("%d rows (%v), want 16 for each round", rows, err)
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
