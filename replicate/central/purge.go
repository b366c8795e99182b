package central

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"
)

// purgedMarker names the file that says an erasure was purged from the Raft
// log since the log was last rewritten: the newest segment file keeps the
// bytes of the entries deleted from its head, so the next start copies the
// live entries into a new log (compactIfPurged).
const purgedMarker = "raft-wal.purged"

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
