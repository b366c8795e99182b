package walvfs_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"stacks/replicate/walvfs"
)

func open(t *testing.T, path, sync string, extra string) *sql.DB {
	t.Helper()
	if err := walvfs.Register(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?vfs="+walvfs.Name+"&_journal_mode=WAL&_synchronous="+sync+extra)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// run runs statements, failing the test on an error.
func run(t *testing.T, db *sql.DB, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestCommitIsOneWrite: a transaction touching many pages reaches the WAL
// file in one write, a second connection (the default VFS) reads it, and
// the database is whole after it is closed and opened again.
func TestCommitIsOneWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	for _, sync := range []string{"NORMAL", "FULL", "OFF"} {
		t.Run(sync, func(t *testing.T) {
			path := path + sync
			db := open(t, path, sync, "")
			run(t, db, `CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)`, `CREATE TABLE u (k INTEGER PRIMARY KEY, v TEXT)`)
			blob := bytes.Repeat([]byte("x"), 3000)
			for round := range 5 {
				before := walvfs.Writes()
				tx, err := db.Begin()
				if err != nil {
					t.Fatal(err)
				}
				for i := range 10 { // ten rows of ~3 KB: ten or more pages
					if _, err := tx.Exec(`INSERT INTO t (v) VALUES (?)`, blob); err != nil {
						t.Fatal(err)
					}
					if _, err := tx.Exec(`INSERT INTO u (v) VALUES (?)`, fmt.Sprint(round, i)); err != nil {
						t.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
				if n := walvfs.Writes() - before; n != 1 && !(round == 0 && n == 2) {
					t.Errorf("round %d: a commit of 11 or more frames made %d writes, want 1", round, n)
				}
			}
			other, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			var n int
			if err := other.QueryRow(`SELECT count(*) FROM t JOIN u USING (k)`).Scan(&n); err != nil || n != 50 {
				t.Fatalf("another connection reads %d joined rows (%v), want 50", n, err)
			}
			db.Close()
			db = open(t, path, sync, "")
			checkWhole(t, db)
		})
	}
}

func checkWhole(t *testing.T, db *sql.DB) {
	t.Helper()
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q %v", ok, err)
	}
}

// TestLargeAndSpilledTransactions: a transaction larger than what a file
// holds back, and one that spills pages to the WAL before its commit and
// writes some again (SQLite then rewrites the frames' checksums, header
// by header, after its commit frame), leave every row readable and the
// database whole, here and after a reopen.
func TestLargeAndSpilledTransactions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	// A small page cache: a large transaction spills.
	db := open(t, path, "NORMAL", "&_cache_size=10")
	run(t, db, `CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)`)
	blob := strings.Repeat("y", 1500)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for range 400 { // ~600 KB: past the 256 KiB held back, and past the cache
		if _, err := tx.Exec(`INSERT INTO t (v) VALUES (?)`, blob); err != nil {
			t.Fatal(err)
		}
	}
	// Pages written early, written again: their frames are overwritten.
	if _, err := tx.Exec(`UPDATE t SET v = ? WHERE k <= 20`, strings.Repeat("z", 1500)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var n, z int
	if err := db.QueryRow(`SELECT count(*), sum(substr(v,1,1)='z') FROM t`).Scan(&n, &z); err != nil || n != 400 || z != 20 {
		t.Fatalf("read %d rows, %d rewritten (%v), want 400 and 20", n, z, err)
	}
	// Another connection, before this one does anything more: the frames
	// it reads, to the commit's, are in the file.
	other, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	checkWhole(t, other)
	if err := other.QueryRow(`SELECT count(*), sum(substr(v,1,1)='z') FROM t`).Scan(&n, &z); err != nil || n != 400 || z != 20 {
		t.Fatalf("another connection reads %d rows, %d rewritten (%v), want 400 and 20", n, z, err)
	}
	db.Close()
	db = open(t, path, "NORMAL", "")
	checkWhole(t, db)
	if err := db.QueryRow(`SELECT count(*), sum(substr(v,1,1)='z') FROM t`).Scan(&n, &z); err != nil || n != 400 || z != 20 {
		t.Fatalf("after reopening: %d rows, %d rewritten (%v), want 400 and 20", n, z, err)
	}
}

// TestCommittedSurvivesKill: a process that commits transactions through
// the VFS and is killed (SIGKILL, no close, the WAL never checkpointed)
// leaves every transaction it reported committed, and a whole database.
func TestCommittedSurvivesKill(t *testing.T) {
	if os.Getenv("WALVFS_CHILD") != "" {
		path := os.Getenv("WALVFS_CHILD")
		db := open(t, path, "NORMAL", "&_cache_size=10")
		run(t, db, `CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v BLOB)`)
		blob := bytes.Repeat([]byte("k"), 2000)
		for i := 1; ; i++ {
			tx, _ := db.Begin()
			for range 5 {
				tx.Exec(`INSERT INTO t (v) VALUES (?)`, blob)
			}
			if _, err := tx.Exec(`INSERT INTO t (k, v) VALUES (?, 'mark')`, -i); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			if err := tx.Commit(); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			fmt.Println("committed", i)
			if i == 40 {
				// Last, a transaction that spills and writes spilled
				// pages again: SQLite rewrites its frames' headers after
				// its commit frame, the commit frame's last of all.
				if err := spill(db); err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				fmt.Println("committed spilled")
				p, _ := os.FindProcess(os.Getpid())
				p.Kill()
				select {}
			}
		}
	}
	path := filepath.Join(t.TempDir(), "c.db")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestCommittedSurvivesKill$")
	cmd.Env = append(os.Environ(), "WALVFS_CHILD="+path)
	out, _ := cmd.Output()
	if !strings.Contains(string(out), "committed spilled") {
		t.Fatalf("the child did not get to 40 commits: %s", out)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("no WAL left by the killed child: %v", err)
	}
	db := open(t, path, "NORMAL", "")
	checkWhole(t, db)
	var marks, rows int
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE v='mark'), count(*) FROM t`).Scan(&marks, &rows); err != nil {
		t.Fatal(err)
	}
	if marks != 40 || rows != 240 {
		t.Errorf("after the kill: %d of 40 committed transactions, %d of 240 rows", marks, rows)
	}
	var all, z int
	if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE v LIKE 'z%') FROM s`).Scan(&all, &z); err != nil || all != 400 || z != 20 {
		t.Errorf("after the kill: the spilled transaction left %d of 400 rows, %d of 20 written twice (%v)", all, z, err)
	}
}

// spill commits 400 rows of 1.5 KB into table s through a page cache of
// ten pages, then rewrites the first twenty in the same transaction.
func spill(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`CREATE TABLE s (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		return err
	}
	for range 400 {
		if _, err := tx.Exec(`INSERT INTO s (v) VALUES (?)`, strings.Repeat("y", 1500)); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`UPDATE s SET v = ? WHERE k <= 20`, strings.Repeat("z", 1500)); err != nil {
		return err
	}
	return tx.Commit()
}

// TestEveryTransactionSize: transactions of 1 to 80 pages, so that the
// commit frame falls at every place of what a file holds back (its header
// the last that fits, its page the first that does not...); after each,
// another connection reads all of it.
func TestEveryTransactionSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	db := open(t, path, "NORMAL", "")
	run(t, db, `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)`)
	other, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	want := 0
	for size := 1; size <= 80; size++ {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for range size {
			if _, err := tx.Exec(`INSERT INTO t (v) VALUES (?)`, strings.Repeat("w", 3500)); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		want += size
		var n int
		if err := other.QueryRow(`SELECT count(*) FROM t WHERE length(v) = 3500`).Scan(&n); err != nil || n != want {
			t.Fatalf("after a transaction of %d rows another connection reads %d of %d (%v)", size, n, want, err)
		}
	}
}
