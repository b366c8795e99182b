package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
