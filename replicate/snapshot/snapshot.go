// Package snapshot makes, serves, fetches and installs consistent snapshots
// of a node's database, so that a new or replaced replica starts from a
// peer's state and op log as of one moment and syncs only the ops after it.
//
// A snapshot is a plain SQLite database file: the peer's database as of one
// read transaction, written by VACUUM INTO (live rows only: no free pages,
// no WAL, so nothing deleted or redacted before that moment is in it), with
// what belongs to the serving node alone left out (Scrub). It carries its
// own op log and version vector, so the state, the ops and the vector agree.
// It is served whole over the node-to-node API with its SHA-256 as ETag and
// header, and with HTTP ranges, so a cut download continues where it
// stopped; the fetcher verifies the checksum before anything is installed.
package snapshot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"stacks/replicate"
)

// Info describes one snapshot.
type Info struct {
	ID        string            `json:"id"`
	SHA256    string            `json:"sha256"` // hex, of the whole file
	Size      int64             `json:"size"`
	Node      string            `json:"node"`   // the node that made it
	Vector    map[string]uint64 `json:"vector"` // origin (hex) -> counter
	CreatedAt time.Time         `json:"created_at"`
	// Format names the file's format: "sqlite3", a database file of the
	// schema the maker's version runs (migrations bring it forward).
	Format string `json:"format"`
}

// VersionVector is the snapshot's version vector.
func (i Info) VersionVector() (replicate.VersionVector, error) {
	vv := replicate.VersionVector{}
	for k, c := range i.Vector {
		id, err := replicate.ParseNodeID(k)
		if err != nil {
			return nil, err
		}
		vv[id] = c
	}
	return vv, nil
}

func vectorMap(vv replicate.VersionVector) map[string]uint64 {
	m := make(map[string]uint64, len(vv))
	for k, c := range vv {
		m[k.String()] = c
	}
	return m
}

// Format is the format of the snapshots this version makes.
const Format = "sqlite3"

// Scrub is what a snapshot leaves out: the serving node's own records,
// which a new replica must not inherit. The op log, the version vector and
// every state table stay.
type Scrub struct {
	// ClearTables lose every row (e.g. the node's own dealings with a
	// payment provider).
	ClearTables []string
	// DropTables are dropped (e.g. central's Raft bookkeeping), and the
	// schema_migrations rows of DropComponents with them.
	DropTables     []string
	DropComponents []string
	// KeepMeta are the node_meta keys that describe the data rather than
	// the node (e.g. "demo"); every other key is removed.
	KeepMeta []string
}

// Errors a caller may test.
var (
	// ErrChecksum: the downloaded file is not the snapshot the peer
	// described; it is discarded and nothing is installed.
	ErrChecksum = errors.New("snapshot: checksum mismatch")
	// ErrGone: the peer no longer keeps the snapshot (expired, or made
	// before an erasure); ask for a new one.
	ErrGone = errors.New("snapshot: gone from the peer")
)

func checkName(t string) error {
	if t == "" || strings.ContainsAny(t, " ;'\"`[]") {
		return fmt.Errorf("snapshot: bad table name %q", t)
	}
	return nil
}

// Make writes a consistent snapshot of db to path (which must not exist)
// and applies scrub to it. It returns the snapshot's version vector. The
// database's writers go on meanwhile; the file is the database as of one
// read transaction.
func Make(ctx context.Context, db *replicate.DB, path string, scrub Scrub) (replicate.VersionVector, error) {
	// The node's reader pool is query_only, which VACUUM INTO refuses; a
	// read-only connection of its own reads one consistent snapshot.
	src, err := sql.Open("sqlite3", "file:"+db.Path()+"?"+url.Values{"mode": {"ro"}, "_busy_timeout": {"10000"}}.Encode())
	if err != nil {
		return nil, fmt.Errorf("snapshot: open %s: %w", db.Path(), err)
	}
	defer src.Close()
	src.SetMaxOpenConns(1)
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("snapshot: copy: %w", err)
	}
	vv, err := Apply(ctx, path, scrub, nil)
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return vv, nil
}

// Apply opens the snapshot file at path, leaves out what scrub names,
// writes meta into node_meta, and returns the file's version vector. The
// file stays one self-contained file (rollback journal, no WAL); deleted
// content is zeroed (secure_delete).
func Apply(ctx context.Context, path string, scrub Scrub, meta map[string]string) (replicate.VersionVector, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	q := url.Values{"_journal_mode": {"DELETE"}, "_synchronous": {"FULL"}, "_secure_delete": {"on"}, "_busy_timeout": {"10000"}}
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("snapshot: open %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %s: %w", path, err)
	}
	defer tx.Rollback()
	exists := func(t string) (bool, error) {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?`, t).Scan(&n)
		return n > 0, err
	}
	for _, t := range []string{"ops", "version_vector", "node_meta"} {
		if ok, err := exists(t); err != nil {
			return nil, fmt.Errorf("snapshot: %s is not a Stacks database: %w", path, err)
		} else if !ok {
			return nil, fmt.Errorf("snapshot: %s is not a Stacks database (no %s table)", path, t)
		}
	}
	for _, t := range scrub.ClearTables {
		if err := checkName(t); err != nil {
			return nil, err
		}
		if ok, err := exists(t); err != nil {
			return nil, err
		} else if ok {
			if _, err := tx.ExecContext(ctx, `DELETE FROM "`+t+`"`); err != nil {
				return nil, fmt.Errorf("snapshot: clear %s: %w", t, err)
			}
		}
	}
	for _, t := range scrub.DropTables {
		if err := checkName(t); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS "`+t+`"`); err != nil {
			return nil, fmt.Errorf("snapshot: drop %s: %w", t, err)
		}
	}
	for _, c := range scrub.DropComponents {
		if _, err := tx.ExecContext(ctx, `DELETE FROM schema_migrations WHERE component=?`, c); err != nil {
			return nil, fmt.Errorf("snapshot: drop migrations of %s: %w", c, err)
		}
	}
	keep := make([]any, 0, len(scrub.KeepMeta))
	marks := make([]string, 0, len(scrub.KeepMeta))
	for _, k := range scrub.KeepMeta {
		keep, marks = append(keep, k), append(marks, "?")
	}
	del := `DELETE FROM node_meta`
	if len(keep) > 0 {
		del += ` WHERE key NOT IN (` + strings.Join(marks, ",") + `)`
	}
	if _, err := tx.ExecContext(ctx, del, keep...); err != nil {
		return nil, fmt.Errorf("snapshot: node_meta: %w", err)
	}
	for k, v := range meta {
		if _, err := tx.ExecContext(ctx, `INSERT INTO node_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, k, v); err != nil {
			return nil, fmt.Errorf("snapshot: node_meta: %w", err)
		}
	}
	vv := replicate.VersionVector{}
	rows, err := tx.QueryContext(ctx, `SELECT origin, counter FROM version_vector`)
	if err != nil {
		return nil, fmt.Errorf("snapshot: version vector: %w", err)
	}
	for rows.Next() {
		var o, c int64
		if err := rows.Scan(&o, &c); err != nil {
			rows.Close()
			return nil, err
		}
		vv[replicate.NodeID(o)] = uint64(c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("snapshot: %s: %w", path, err)
	}
	return vv, nil
}
