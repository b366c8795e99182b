package replicate_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"stacks/replicate"
	"stacks/replicate/clock"
)

// openBlobLog opens a database at path with one table, blob (v TEXT), and
// a log of node 1 on it whose writer commits one transaction at a time, on
// opt's clock; both close when the test ends.
func openBlobLog(t *testing.T, path string, opt replicate.DBOptions) (*replicate.DB, *replicate.Log) {
	t.Helper()
	ctx := context.Background()
	db, err := replicate.OpenDBOptions(ctx, path, []replicate.Migration{{Component: "blob", Version: 1, SQL: `CREATE TABLE blob (v TEXT)`}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n := 0
	lg := replicate.NewLog(db, replicate.Config{Node: 1, Clock: opt.Clock, MaxBatch: 1}, counting{&n})
	if err := lg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	return db, lg
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

// TestCheckpointerRunsOnTheClock: the WAL checkpointer waits on the
// injected clock; its work (copying the WAL into the database file) shows
// only once the fake clock passes its interval.
func TestCheckpointerRunsOnTheClock(t *testing.T) {
	ctx := context.Background()
	fake := clock.NewFake(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "n.db")
	_, lg := openBlobLog(t, path, replicate.DBOptions{NoSync: true, Clock: fake, CheckpointEvery: time.Minute})
	err := lg.Update(ctx, func(tx *replicate.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO blob (v) VALUES (?)`, strings.Repeat("x", 2<<20))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	if before > 1<<20 {
		t.Fatalf("the database file holds %d bytes before any checkpoint", before)
	}
	fake.Advance(time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for size() < 2<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint after the clock passed the interval: file %d bytes", size())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestGoMigrationRunsInItsTransaction: a migration's Func converts rows in
// the migration's own transaction; a Func that fails rolls its SQL back
// too, leaves the database at the previous version and is retried (and
// may then succeed) at the next open.
func TestGoMigrationRunsInItsTransaction(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	base := []replicate.Migration{{Component: "m", Version: 1, SQL: `CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('a'), ('b')`}}
	db, err := replicate.OpenDB(ctx, path, base)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	fail := true
	upper := replicate.Migration{Component: "m", Version: 2, SQL: `ALTER TABLE t ADD COLUMN w TEXT NOT NULL DEFAULT ''`,
		Func: func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE t SET w = upper(v)`); err != nil {
				return err
			}
			if fail {
				return errors.New("planted failure")
			}
			return nil
		}}
	if _, err := replicate.OpenDB(ctx, path, append(base, upper)); err == nil || !strings.Contains(err.Error(), "planted failure") {
		t.Fatalf("open with a failing migration: %v, want the planted failure", err)
	}
	check, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var cols int
	if err := check.QueryRow(`SELECT count(*) FROM pragma_table_info('t') WHERE name='w'`).Scan(&cols); err != nil || cols != 0 {
		t.Fatalf("column w after a failed migration: %d (%v), want the ALTER rolled back", cols, err)
	}
	fail = false
	db, err = replicate.OpenDB(ctx, path, append(base, upper))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got string
	if err := db.Read().QueryRow(`SELECT group_concat(w, ',') FROM (SELECT w FROM t ORDER BY v)`).Scan(&got); err != nil || got != "A,B" {
		t.Fatalf("converted rows %q (%v), want A,B", got, err)
	}
}

// TestWALTruncatedPastItsLimit: a WAL file grown past four times
// DBOptions.WALLimit is truncated by the checkpointer at its next tick
// (PASSIVE checkpoints alone never shorten the file), and writes go on
// after it.
func TestWALTruncatedPastItsLimit(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "w.db")
	db, lg := openBlobLog(t, path, replicate.DBOptions{NoSync: true, Clock: fake, CheckpointEvery: time.Minute, WALLimit: 256 << 10})
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	writeBlobs(t, lg, 16, 64<<10)
	if s := walSize(); s < 1<<20 {
		t.Fatalf("WAL %d bytes after 1 MiB of writes, want more than 1 MiB", s)
	}
	deadline := time.Now().Add(10 * time.Second)
	// The file shrinks before the checkpointer counts the reset: wait for
	// both.
	for done, _ := db.WALResets(); walSize() > 256<<10 || done < 1; done, _ = db.WALResets() {
		if time.Now().After(deadline) {
			done, busy := db.WALResets()
			t.Fatalf("WAL still %d bytes, past its 256 KiB limit (resets %d, busy %d)", walSize(), done, busy)
		}
		fake.Advance(time.Minute)
		runtime.Gosched()
	}
	writeBlobs(t, lg, 1, 10)
	var rows int
	if err := db.Read().QueryRow(`SELECT count(*) FROM blob`).Scan(&rows); err != nil || rows != 17 {
		t.Fatalf("%d rows (%v) after the reset, want 17", rows, err)
	}
}

// TestWALRestartedPastItsLimit: a WAL holding more than DBOptions.WALLimit
// (but less than four times it) is started again from its beginning: the
// checkpointer's RESTART lets the next commit write at the file's start,
// over its blocks, without shortening it (a truncation frees and discards
// the blocks, tens of milliseconds on a busy disk), and every row is kept.
func TestWALRestartedPastItsLimit(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "w.db")
	db, lg := openBlobLog(t, path, replicate.DBOptions{NoSync: true, Clock: fake, CheckpointEvery: time.Minute, WALLimit: 256 << 10})
	writeBlobs(t, lg, 8, 64<<10)
	fi, err := os.Stat(path + "-wal")
	if err != nil || fi.Size() < 512<<10 || fi.Size() > 1<<20 {
		t.Fatalf("WAL %v (%v) after 512 KiB of writes, want 512 KiB to 1 MiB", fi.Size(), err)
	}
	before := fi.Size()
	deadline := time.Now().Add(10 * time.Second)
	for done, _ := db.WALResets(); done < 1; done, _ = db.WALResets() {
		if time.Now().After(deadline) {
			done, busy := db.WALResets()
			t.Fatalf("no reset of a WAL past its limit (resets %d, busy %d)", done, busy)
		}
		fake.Advance(time.Minute)
		runtime.Gosched()
	}
	writeBlobs(t, lg, 1, 10)
	var busy, frames, copied int
	if err := db.Read().QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	if frames > 8 {
		t.Fatalf("the WAL holds %d frames after the reset and one small commit: not started again", frames)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() != before {
		t.Fatalf("WAL %d bytes (%v) after the reset, want the file kept at %d", fi.Size(), err, before)
	}
	var rows int
	if err := db.Read().QueryRow(`SELECT count(*) FROM blob`).Scan(&rows); err != nil || rows != 9 {
		t.Fatalf("%d rows (%v) after the reset, want 9", rows, err)
	}
}

// TestFailedUpdateAloneLeavesNothing: an Update alone in its batch runs
// without a savepoint; when its function fails (or panics) after emitting
// an op and writing a row, the whole transaction rolls back: no row, no op,
// no version vector entry, and the next op takes the counter the failed
// one had.
func TestFailedUpdateAloneLeavesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	db, lg := openBlobLog(t, path, replicate.DBOptions{NoSync: true, Clock: clock.NewFake(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))})
	planted := errors.New("planted failure")
	for _, fail := range []func() error{
		func() error { return planted },
		func() error { panic("planted panic") },
	} {
		err := lg.Update(ctx, func(tx *replicate.Tx) error {
			if _, err := tx.Emit(ctx, "k", 1, "a", "c"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO blob (v) VALUES ('lost')`); err != nil {
				return err
			}
			return fail()
		})
		if err == nil {
			t.Fatal("a failing Update returned no error")
		}
	}
	var rows int
	if err := db.Read().QueryRow(`SELECT count(*) FROM blob`).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("%d rows (%v) after failed Updates, want none", rows, err)
	}
	if vv, err := lg.VersionVector(ctx); err != nil || len(vv) != 0 {
		t.Fatalf("version vector %v (%v) after failed Updates, want empty", vv, err)
	}
	var op replicate.Op
	if err := lg.Update(ctx, func(tx *replicate.Tx) error {
		var err error
		op, err = tx.Emit(ctx, "k", 2, "a", "c")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	all, err := lg.AllOps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if op.Counter != 1 || len(all) != 1 || all[0].Counter != 1 {
		t.Fatalf("op counter %d, log %+v: want the one op, counter 1", op.Counter, all)
	}
}
