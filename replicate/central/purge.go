package central

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"
)

// purgedMarker names the file that says an erasure was purged from the Raft
// log since raft.db was last compacted: bbolt leaves the bytes of freed
// pages (the deleted entries) in the file until they are reused, so the
// next start copies the live keys into a new file (compactIfPurged).
const purgedMarker = "raft.db.purged"

// purgeLoop purges the Raft log whenever the FSM applied an op of a purge
// kind.
func (n *Node) purgeLoop() {
	defer n.wg.Done()
	for {
		select {
		case <-n.stop:
			return
		case <-n.fsm.purge:
		}
		for {
			err := n.purge()
			if err == nil {
				break
			}
			if !errors.Is(err, raft.ErrNothingNewToSnapshot) {
				n.lg.Error("central: purging the Raft log after an erasure failed; retrying after the next entry", "err", err)
			}
			// A snapshot taken since the erasure kept trailing entries:
			// purge again once another entry is applied (then there is
			// something new to snapshot).
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-n.stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			werr := n.fsm.waitApplied(ctx, n.fsm.applied.Load()+1)
			cancel()
			if werr != nil {
				return
			}
		}
	}
}

// purge removes every entry applied so far from the Raft log: it takes a
// snapshot (a copy of the database, where the erasure has redacted the
// ops) with TrailingLogs at zero, so Raft deletes every entry up to it,
// then removes the older snapshots (copies of the database from before
// the erasure). A follower that still needs a deleted entry is sent the
// snapshot instead, as Raft does for any follower behind the log.
func (n *Node) purge() error {
	if err := os.WriteFile(filepath.Join(n.cfg.Dir, purgedMarker), nil, 0o600); err != nil {
		return err
	}
	rc := n.raft.ReloadableConfig()
	zero := rc
	zero.TrailingLogs = 0
	if err := n.raft.ReloadConfig(zero); err != nil {
		return err
	}
	err := n.raft.Snapshot().Error()
	if rerr := n.raft.ReloadConfig(rc); err == nil {
		err = rerr
	}
	if err != nil {
		return err
	}
	metas, err := n.snaps.List()
	if err != nil {
		return err
	}
	for _, m := range metas[min(1, len(metas)):] {
		if err := os.RemoveAll(filepath.Join(n.cfg.Dir, "snapshots", m.ID)); err != nil {
			return err
		}
	}
	n.lg.Info("purged the Raft log after an erasure", "snapshot", metas[0].ID, "index", metas[0].Index)
	return nil
}

// compactIfPurged rewrites raft.db with only its live keys when a purge
// happened since it was last compacted, so that no freed page keeps a
// deleted entry's bytes. It runs before the store is opened.
func compactIfPurged(dir string) error {
	marker := filepath.Join(dir, purgedMarker)
	if _, err := os.Stat(marker); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	path := filepath.Join(dir, "raft.db")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return os.Remove(marker)
	}
	tmp := path + ".compact"
	os.Remove(tmp)
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("central: compact raft.db: %w", err)
	}
	dst, err := bolt.Open(tmp, 0o600, nil)
	if err != nil {
		src.Close()
		return fmt.Errorf("central: compact raft.db: %w", err)
	}
	err = bolt.Compact(dst, src, 64<<20)
	src.Close()
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("central: compact raft.db: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return os.Remove(marker)
}
