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
func BenchmarkCommitPages(b *testing.B) {
	for _, pages := range []int{1, 2, 5, 10} {
		b.Run(fmt.Sprint("pages=", pages), func(b *testing.B) {
			ctx := context.Background()
			db, err := OpenDBOptions(ctx, filepath.Join(b.TempDir(), "c.db"), nil, DBOptions{SyncNormal: true})
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
		})
	}
}
