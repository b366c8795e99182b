package central

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/migrate"
)

// The Raft log and stable store is a raft-wal write-ahead log (HashiCorp's,
// as Consul uses): segment files appended in place, one fsync per append.
// raft-boltdb, used before, commits each append as a bbolt transaction
// with two fsyncs (its pages, then its meta page); every write at central
// waits for an append on the leader and then on a follower, so the second
// fsync of each was on every write's path.
const (
	walDir = "raft-wal"
	// boltFile is the store of nodes before raft-wal: migrated at start.
	boltFile = "raft.db"
)

// logStore is what Raft needs of its log and stable store.
type logStore interface {
	raft.LogStore
	raft.StableStore
	Close() error
}

// walStore is a raft-wal log that closes its meta store too: WAL.Close
// leaves it open (v0.4.0), and with it the file lock that a node reopened
// in the same process (a restart in place, a rewrite) would wait on.
type walStore struct {
	*wal.WAL
	meta *metadb.BoltMetaDB
}

func openWAL(path string) (*walStore, error) {
	if err := os.MkdirAll(path, 0o750); err != nil {
		return nil, err
	}
	meta := &metadb.BoltMetaDB{}
	w, err := wal.Open(path, wal.WithMetaStore(meta))
	if err != nil {
		meta.Close()
		return nil, err
	}
	return &walStore{WAL: w, meta: meta}, nil
}

func (s *walStore) Close() error {
	err := s.WAL.Close()
	if merr := s.meta.Close(); err == nil {
		err = merr
	}
	return err
}

// openLogStore opens dir's Raft log: it finishes or undoes a rewrite that
// a crash interrupted, migrates a raft.db left by an older version, and
// rewrites the log with only its live entries when a purge happened since
// (compactIfPurged).
func openLogStore(dir string) (*walStore, error) {
	path := filepath.Join(dir, walDir)
	// A rewrite moves the old log to .old, then the new one into place:
	// with both present the new one is whole; with .old alone it never
	// got there (the rewrite runs again: its marker is still there).
	if _, err := os.Stat(path + ".old"); err == nil {
		if _, err := os.Stat(path); err == nil {
			if err := os.RemoveAll(path + ".old"); err != nil {
				return nil, err
			}
		} else if err := os.Rename(path+".old", path); err != nil {
			return nil, err
		}
	}
	for _, tmp := range []string{path + ".compact", path + ".migrate"} {
		if err := os.RemoveAll(tmp); err != nil {
			return nil, err
		}
	}
	if err := migrateBolt(dir); err != nil {
		return nil, err
	}
	if err := compactIfPurged(dir); err != nil {
		return nil, err
	}
	w, err := openWAL(path)
	if err != nil {
		return nil, fmt.Errorf("central: raft log %s: %w", path, err)
	}
	return w, nil
}

// migrateBolt copies the entries and the stable keys of a raft.db (a node
// of an older version) into a new raft-wal log, then removes raft.db. Only
// live entries are copied, so a purge marker of the old store is settled
// too.
func migrateBolt(dir string) error {
	old := filepath.Join(dir, boltFile)
	if _, err := os.Stat(old); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	path := filepath.Join(dir, walDir)
	if _, err := os.Stat(path); err == nil {
		// Migrated; the crash came before raft.db was removed.
		return removeBolt(dir)
	}
	src, err := raftboltdb.New(raftboltdb.Options{Path: old})
	if err != nil {
		return fmt.Errorf("central: migrate %s: %w", old, err)
	}
	err = rewrite(path+".migrate", src)
	if cerr := src.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("central: migrate %s: %w", old, err)
	}
	if err := os.Rename(path+".migrate", path); err != nil {
		return err
	}
	syncDir(dir)
	return removeBolt(dir)
}

func removeBolt(dir string) error {
	for _, f := range []string{boltFile, boltFile + ".purged", boltFile + ".compact"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	syncDir(dir)
	return nil
}

// rewrite creates a raft-wal log at path holding src's entries and stable
// keys.
func rewrite(path string, src logStore) error {
	dst, err := openWAL(path)
	if err != nil {
		return err
	}
	ctx := context.Background()
	last, err := src.LastIndex()
	if err == nil && last > 0 {
		err = migrate.CopyLogs(ctx, dst, src, 4<<20, nil)
	}
	if err == nil {
		err = copyStable(dst, src)
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return err
}

// compactIfPurged rewrites the Raft log with only its live entries when a
// purge happened since it was last rewritten: raft-wal deletes a segment
// file only once every entry in it is gone, so the entries a purge removed
// from the head of the newest segment keep their bytes in that file until
// then. It runs before the log is opened.
func compactIfPurged(dir string) error {
	marker := filepath.Join(dir, purgedMarker)
	if _, err := os.Stat(marker); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	path := filepath.Join(dir, walDir)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return os.Remove(marker)
	}
	src, err := openWAL(path)
	if err != nil {
		return fmt.Errorf("central: compact the raft log: %w", err)
	}
	err = rewrite(path+".compact", src)
	if cerr := src.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(path + ".compact")
		return fmt.Errorf("central: compact the raft log: %w", err)
	}
	if err := os.Rename(path, path+".old"); err != nil {
		return err
	}
	if err := os.Rename(path+".compact", path); err != nil {
		return err
	}
	syncDir(dir)
	if err := os.RemoveAll(path + ".old"); err != nil {
		return err
	}
	return os.Remove(marker)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// copyStable copies the keys hashicorp/raft keeps in its stable store (the
// term and the vote); a key never written (a node that never voted) is
// skipped. migrate.CopyStable would refuse it.
func copyStable(dst, src raft.StableStore) error {
	for _, k := range []string{"CurrentTerm", "LastVoteTerm"} {
		v, err := src.GetUint64([]byte(k))
		if errors.Is(err, raftboltdb.ErrKeyNotFound) || (err == nil && v == 0) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", k, err)
		}
		if err := dst.SetUint64([]byte(k), v); err != nil {
			return err
		}
	}
	v, err := src.Get([]byte("LastVoteCand"))
	if errors.Is(err, raftboltdb.ErrKeyNotFound) || (err == nil && len(v) == 0) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read LastVoteCand: %w", err)
	}
	return dst.Set([]byte("LastVoteCand"), v)
}
