package replicate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/replicate"
	"stacks/replicate/clock"
)

// TestCheckpointerRunsOnTheClock: the WAL checkpointer waits on the
// injected clock; its work (copying the WAL into the database file) shows
// only once the fake clock passes its interval.
func TestCheckpointerRunsOnTheClock(t *testing.T) {
	ctx := context.Background()
	fake := clock.NewFake(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "n.db")
	db, err := replicate.OpenDBOptions(ctx, path, []replicate.Migration{{Component: "blob", Version: 1, SQL: `CREATE TABLE blob (v TEXT)`}},
		replicate.DBOptions{NoSync: true, Clock: fake, CheckpointEvery: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	lg := replicate.NewLog(db, replicate.Config{Node: 1, Clock: fake, MaxBatch: 1}, counting{&n})
	if err := lg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	err = lg.Update(ctx, func(tx *replicate.Tx) error {
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
