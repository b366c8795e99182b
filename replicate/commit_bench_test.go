package replicate

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkCommitPages is the floor under a commit of central's state
// machine: a write transaction (BEGIN IMMEDIATE ... COMMIT, WAL,
// synchronous=NORMAL as central opens its database) that changes one row
// in each of pages tables, so it dirties that many pages, each one frame
// appended to the WAL. The difference between page counts is what one
// more b-tree touched by every write (an index, a table) costs a commit.
// vfs=plain is SQLite's own VFS (two writes a frame), vfs=walvfs ours (one
// write a commit); sync=full is a branch's commit (with its fsync).
func BenchmarkCommitPages(b *testing.B) {
	for _, c := range []struct {
		name string
		opt  DBOptions
	}{
		{"sync=normal/vfs=plain", DBOptions{SyncNormal: true, PlainWAL: true}},
		{"sync=normal/vfs=walvfs", DBOptions{SyncNormal: true}},
		{"sync=full/vfs=plain", DBOptions{PlainWAL: true}},
		{"sync=full/vfs=walvfs", DBOptions{}},
	} {
		for _, pages := range []int{1, 2, 5, 10} {
			b.Run(fmt.Sprintf("%s/pages=%d", c.name, pages), func(b *testing.B) { benchCommitPages(b, c.opt, pages) })
		}
	}
}

func benchCommitPages(b *testing.B, opt DBOptions, pages int) {
	ctx := context.Background()
	db, err := OpenDBOptions(ctx, filepath.Join(b.TempDir(), "c.db"), nil, opt)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	w := db.writer
	for p := range pages {
		if _, err := w.Exec(fmt.Sprintf(`CREATE TABLE t%d (x INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t%[1]d VALUES (1, 0)`, p)); err != nil {
			b.Fatal(err)
		}
	}
	var q string
	for p := range pages {
		q += fmt.Sprintf("UPDATE t%d SET v=v+1 WHERE x=1;", p)
	}
	b.ResetTimer()
	for range b.N {
		tx, err := w.Begin()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(q); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
