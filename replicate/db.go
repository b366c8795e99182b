// Package replicate is Stacks' domain-free replication library: the op log,
// hybrid logical clocks, version vectors and the SQLite store that folds ops
// into state. It knows ops, clocks and vectors, never patrons or loans.
package replicate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"stacks/replicate/clock"
	"stacks/replicate/walvfs"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver
)

// Migration is one numbered schema step of a component. Migrations of a
// component run in Version order, each in its own transaction, once.
type Migration struct {
	Component string
	Version   int
	SQL       string
	// Func, if set, runs after SQL in the same transaction: a migration
	// that converts rows in Go (a new encoding of a column) rather than
	// in SQL. It must be deterministic; an error rolls the whole
	// migration back and the database stays at the previous version.
	Func func(ctx context.Context, tx *sql.Tx) error
}

// MigrationsFromFS reads files named NNN_description.sql from fsys (root
// dir) as migrations of component.
func MigrationsFromFS(component string, fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		if !ok {
			return nil, fmt.Errorf("replicate: migration %q: want NNN_name.sql", name)
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("replicate: migration %q: %w", name, err)
		}
		b, err := fs.ReadFile(fsys, dir+"/"+name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Component: component, Version: v, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// DB is a SQLite database opened the way every Stacks node uses it: WAL,
// synchronous=FULL, foreign keys on, one writer connection and a pool of
// read-only connections.
type DB struct {
	path   string
	writer *sql.DB
	reader *sql.DB
	ckpt   *sql.DB // checkpoints the WAL off the commit path
	stop   chan struct{}
	done   chan struct{}

	closeOnce sync.Once
	closeErr  error

	names opNames // the ops table's interned names (opstore.go)

	walResets, walResetsBusy atomic.Int64
	writeBehinds             atomic.Int64
	wbDone                   chan struct{} // closed when writeBehind returns (nil when it never ran)
}

// DBOptions tune OpenDBOptions.
type DBOptions struct {
	// NoSync skips fsync (synchronous=OFF): for tests and simulations only,
	// never for a node whose acknowledgements must survive power loss.
	NoSync bool
	// SyncNormal commits without fsync but keeps the database consistent
	// (WAL with synchronous=NORMAL: a power loss may drop the last commits,
	// never corrupt). For a store whose every commit can be replayed from
	// a durable log elsewhere: the central Raft state machine.
	SyncNormal bool
	// Clock makes the timer of the WAL checkpointer, which runs every
	// CheckpointEvery (default 250ms); nil is the system clock.
	Clock           clock.Clock
	CheckpointEvery time.Duration
	// WALLimit is how many bytes of frames the WAL may hold before the
	// checkpointer starts it again from its beginning; a file grown to
	// four times as much is truncated (default 64 MiB; see resetWAL).
	WALLimit int64
	// PlainWAL leaves the writer on SQLite's own VFS, which writes each
	// WAL frame's header and page apart: only for the benchmark of what
	// walvfs saves (BenchmarkCommitPages).
	PlainWAL bool
}

// OpenDB opens (creating if needed) the database at path and runs the
// migrations that have not run yet.
func OpenDB(ctx context.Context, path string, migrations []Migration) (*DB, error) {
	return OpenDBOptions(ctx, path, migrations, DBOptions{})
}

// OpenDBOptions is OpenDB with options.
func OpenDBOptions(ctx context.Context, path string, migrations []Migration, opt DBOptions) (*DB, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	if opt.SyncNormal {
		q.Set("_synchronous", "NORMAL")
	}
	if opt.NoSync {
		q.Set("_synchronous", "OFF")
	}
	q.Set("_foreign_keys", "1")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_cache_size", "-16000")
	// Deleted and overwritten content is zeroed, not left in free space:
	// an erased patron's data must not linger in the file.
	q.Set("_secure_delete", "on")
	// The writer's WAL frames reach the file in one write a transaction
	// (walvfs), not two a page.
	if !opt.PlainWAL {
		if err := walvfs.Register(); err != nil {
			return nil, err
		}
		q.Set("vfs", walvfs.Name)
	}
	w, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("replicate: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("replicate: open %s: %w", path, err)
	}
	db := &DB{path: path, writer: w}
	if err := db.migrate(ctx, append(coreMigrations(), migrations...)); err != nil {
		w.Close()
		return nil, err
	}
	rq := url.Values{}
	rq.Set("_journal_mode", "WAL")
	rq.Set("_busy_timeout", "10000")
	rq.Set("_query_only", "1")
	rq.Set("_cache_size", "-8000")
	r, err := sql.Open("sqlite3", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("replicate: open readers %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	db.reader = r
	// Commits never wait for a checkpoint: a separate connection copies the
	// WAL into the database in the background.
	if _, err := w.ExecContext(ctx, `PRAGMA wal_autocheckpoint=0`); err != nil {
		db.Close()
		return nil, err
	}
	c, err := sql.Open("sqlite3", "file:"+path+"?"+url.Values{"_busy_timeout": {"10000"}}.Encode())
	if err != nil {
		db.Close()
		return nil, err
	}
	c.SetMaxOpenConns(1)
	db.ckpt, db.stop, db.done = c, make(chan struct{}), make(chan struct{})
	if opt.Clock == nil {
		opt.Clock = clock.System{}
	}
	if opt.CheckpointEvery <= 0 {
		opt.CheckpointEvery = 250 * time.Millisecond
	}
	if opt.WALLimit <= 0 {
		opt.WALLimit = 64 << 20
	}
	go db.checkpointer(opt.Clock, opt.CheckpointEvery, opt.WALLimit)
	if opt.SyncNormal && !opt.NoSync {
		db.wbDone = make(chan struct{})
		go db.writeBehind(opt.Clock, writeBehindEvery)
	}
	return db, nil
}

func (db *DB) checkpointer(c clock.Clock, every time.Duration, walLimit int64) {
	defer close(db.done)
	t, tick := c.NewTicker(every)
	defer t.Stop()
	pageSize := int64(4096)
	db.ckpt.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	for {
		select {
		case <-db.stop:
			return
		case <-tick:
			// PASSIVE never blocks the writer; a busy or failed checkpoint
			// is retried on the next tick.
			var busy, frames, done int64
			if db.ckpt.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done) != nil {
				continue
			}
			db.resetWAL(frames*(pageSize+24), walLimit)
		}
	}
}

// resetWAL starts the WAL again from its beginning once what it holds
// (used bytes) has grown past limit. PASSIVE checkpoints copy the WAL into
// the database but never start it again: SQLite's writer does that only
// when a checkpoint has copied every frame and no reader still uses one,
// and under writes that never pause (an import, a long catch-up, a busy
// central cluster) that moment never comes and the WAL grows without end
// (9 GB beside a 193 MB database in a five-year history benchmark). A
// RESTART checkpoint holds off the writer while it copies the few frames
// PASSIVE left and waits for readers, then the next commit writes from the
// WAL's start, over blocks the file already has. It waits at most 250 ms
// for readers (a long one, such as a snapshot being made, makes it give up
// until the next tick).
//
// A TRUNCATE checkpoint does the same and also shortens the file, which
// costs far more on a busy disk: freeing (and discarding) the file's
// blocks took 60 ms at 64 MiB and held every commit of the node (and, on
// one disk, the fsyncs of its peers) behind it, every 8 s at 16 clients
// (BENCHMARKS, issue 21 session 18). It is kept for a file grown to four
// times the limit (past a long reader), to give the disk back.
func (db *DB) resetWAL(used, limit int64) {
	mode := "RESTART"
	if fi, err := os.Stat(db.path + "-wal"); err == nil && fi.Size() > 4*limit {
		mode = "TRUNCATE"
	} else if used <= limit {
		return
	}
	ctx := context.Background()
	conn, err := db.ckpt.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout=250`); err != nil {
		return
	}
	defer conn.ExecContext(ctx, `PRAGMA busy_timeout=10000`)
	var busy, frames, done int
	if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &frames, &done); err != nil || busy != 0 {
		db.walResetsBusy.Add(1)
		return
	}
	db.walResets.Add(1)
}

// WALResets reports how many times the checkpointer started again (or
// truncated) a WAL grown past its limit, and how many times it tried and
// found readers or the writer busy.
func (db *DB) WALResets() (done, busy int64) { return db.walResets.Load(), db.walResetsBusy.Load() }

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// Read is the read-only connection pool, for queries outside a write
// transaction.
func (db *DB) Read() *sql.DB { return db.reader }

// Close closes every connection.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { db.closeErr = db.close() })
	return db.closeErr
}

func (db *DB) close() error {
	var errs []error
	if db.ckpt != nil {
		close(db.stop)
		<-db.done
		if db.wbDone != nil {
			<-db.wbDone
		}
		errs = append(errs, db.ckpt.Close())
	}
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	errs = append(errs, db.writer.Close())
	return errors.Join(errs...)
}

func (db *DB) migrate(ctx context.Context, ms []Migration) error {
	if _, err := db.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("replicate: migrations table: %w", err)
	}
	for _, m := range ms {
		var n int
		if err := db.writer.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE component=? AND version=?`,
			m.Component, m.Version).Scan(&n); err != nil {
			return fmt.Errorf("replicate: migration %s/%d: %w", m.Component, m.Version, err)
		}
		if n > 0 {
			continue
		}
		tx, err := db.writer.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if m.SQL != "" {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				tx.Rollback()
				return fmt.Errorf("replicate: migration %s/%d: %w", m.Component, m.Version, err)
			}
		}
		if m.Func != nil {
			if err := m.Func(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("replicate: migration %s/%d: %w", m.Component, m.Version, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (component, version) VALUES (?, ?)`, m.Component, m.Version); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("replicate: migration %s/%d: %w", m.Component, m.Version, err)
		}
	}
	return nil
}

func coreMigrations() []Migration {
	return []Migration{{Component: "replicate", Version: 1, SQL: `
CREATE TABLE ops (
	origin   INTEGER NOT NULL,
	counter  INTEGER NOT NULL,
	hlc      INTEGER NOT NULL,
	kind     TEXT    NOT NULL,
	payload  BLOB    NOT NULL,
	actor    TEXT    NOT NULL DEFAULT '',
	channel  TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (origin, counter)
) WITHOUT ROWID;
CREATE TABLE version_vector (
	origin  INTEGER PRIMARY KEY,
	counter INTEGER NOT NULL
);
CREATE TABLE node_meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
`}, {Component: "replicate", Version: 2, SQL: compactionMigration},
		{Component: "replicate", Version: 3, SQL: compactOpsMigration, Func: convertOps}}
}

// CheckpointTruncate copies the whole WAL into the database and truncates
// the WAL file to nothing, so no older page images remain in it (after an
// erasure). It waits for readers and the writer as SQLite's TRUNCATE mode
// does, up to the busy timeout.
func (db *DB) CheckpointTruncate(ctx context.Context) error {
	var busy, logFrames, done int
	if err := db.ckpt.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
		return fmt.Errorf("replicate: checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("replicate: checkpoint: database busy")
	}
	return nil
}

// SetMaxPageCount caps the database's size in pages (0 restores the
// default). Simulations use it to make the disk "full": writes then fail
// cleanly with SQLITE_FULL and roll back.
func (db *DB) SetMaxPageCount(ctx context.Context, pages int) error {
	if pages <= 0 {
		pages = 1073741823
	}
	_, err := db.writer.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count=%d", pages))
	return err
}

// PageCount is the database's current size in pages.
func (db *DB) PageCount(ctx context.Context) (int, error) {
	var n int
	err := db.writer.QueryRowContext(ctx, "PRAGMA page_count").Scan(&n)
	return n, err
}
