package snapshot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"stacks/replicate"
)

// Install makes the snapshot Fetch verified in dir the database at dbPath,
// which must not exist yet: it leaves out what scrub names (again: the
// installer does not trust the peer to have), writes meta into node_meta,
// and moves the file into place durably. It returns the snapshot's version
// vector, from which the new replica syncs.
func Install(ctx context.Context, dir, dbPath string, scrub Scrub, meta map[string]string) (replicate.VersionVector, error) {
	part := filepath.Join(dir, PartFile)
	for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm", dbPath + "-journal"} {
		if _, err := os.Stat(p); err == nil {
			return nil, fmt.Errorf("snapshot: install: %s exists; not overwriting it", p)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("snapshot: install: %w", err)
		}
	}
	vv, err := Apply(ctx, part, scrub, meta)
	if err != nil {
		return nil, err
	}
	if err := syncFile(part); err != nil {
		return nil, err
	}
	if err := os.Rename(part, dbPath); err != nil {
		return nil, fmt.Errorf("snapshot: install: %w", err)
	}
	if err := syncFile(filepath.Dir(dbPath)); err != nil {
		return nil, err
	}
	os.Remove(filepath.Join(dir, StateFile))
	return vv, nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("snapshot: sync %s: %w", path, err)
	}
	return nil
}

// UnknownMigrations lists, as "component/version", the migrations the
// snapshot file at path has run that known (what the installing version
// runs) lacks, leaving out the components scrub drops: a snapshot from a
// newer version, whose schema this one cannot be trusted to read.
func UnknownMigrations(ctx context.Context, path string, known []replicate.Migration, scrub Scrub) ([]string, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("snapshot: open %s: %w", path, err)
	}
	defer db.Close()
	have := map[string]bool{}
	for _, m := range known {
		have[fmt.Sprintf("%s/%d", m.Component, m.Version)] = true
	}
	rows, err := db.QueryContext(ctx, `SELECT component, version FROM schema_migrations ORDER BY component, version`)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %s is not a Stacks database: %w", path, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		var v int
		if err := rows.Scan(&c, &v); err != nil {
			return nil, err
		}
		if k := fmt.Sprintf("%s/%d", c, v); !have[k] && !slices.Contains(scrub.DropComponents, c) {
			out = append(out, k)
		}
	}
	return out, rows.Err()
}
