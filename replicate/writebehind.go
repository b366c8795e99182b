package replicate

import (
	"os"
	"time"

	"stacks/replicate/clock"
)

// writeBehindEvery is how often a database committed without fsync
// (DBOptions.SyncNormal) hands its WAL's new pages to the disk.
const writeBehindEvery = 20 * time.Millisecond

// writeBehind asks the kernel, every tick, to start writing the WAL's dirty
// pages to disk without waiting for them. A database opened with
// SyncNormal never fsyncs its commits: the WAL's pages pile up in the page
// cache until the checkpointer syncs the WAL, every 2 s on central, and
// that one fsync then flushed megabytes at once. All three nodes of a
// cluster on one disk (or any other fsync there: Raft's log appends) waited
// behind it: 13-108 ms stalls, two or three a second across the cluster at 16
// clients (BENCHMARKS, issue 21 session 18). Written behind, the pages
// reach the disk in small steps and the checkpoint's fsync has little left
// to do. It changes no durability: the checkpointer still syncs the WAL
// before it copies frames into the database.
func (db *DB) writeBehind(c clock.Clock, every time.Duration) {
	defer close(db.wbDone)
	t, tick := c.NewTicker(every)
	defer t.Stop()
	var (
		wal  *os.File
		seen os.FileInfo // the WAL as opened
		last os.FileInfo // the WAL as last written behind
	)
	defer func() {
		if wal != nil {
			wal.Close()
		}
	}()
	for {
		select {
		case <-db.stop:
			return
		case <-tick:
		}
		// The WAL appears with the first write and SQLite may remove it
		// (when the last connection closes) and create it anew: follow the
		// file at the path.
		fi, err := os.Stat(db.path + "-wal")
		if err != nil {
			continue
		}
		if wal != nil && !os.SameFile(seen, fi) {
			wal.Close()
			wal, last = nil, nil
		}
		if wal == nil {
			if wal, err = os.Open(db.path + "-wal"); err != nil {
				wal = nil
				continue
			}
			seen = fi
		}
		// Nothing written since the last tick (an idle node): nothing to do.
		if last != nil && fi.Size() == last.Size() && fi.ModTime().Equal(last.ModTime()) {
			continue
		}
		if startWriteback(wal) == nil {
			db.writeBehinds.Add(1)
			last = fi
		}
	}
}

// WriteBehinds reports how many times the WAL's pages were handed to the
// disk ahead of a checkpoint.
func (db *DB) WriteBehinds() int64 { return db.writeBehinds.Load() }
