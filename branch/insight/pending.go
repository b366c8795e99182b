package insight

import (
	"bytes"
	"context"
	"fmt"

	"stacks/branch"
	"stacks/branch/handoff"
	"stacks/replicate"
)

// When the applier defers derived state (branch.Deferral), the Observe
// hook only notes the ops insight counts, by ID, in insight_pending, in
// the transaction that applies them; the catch-up pass counts them after
// the commit, reading them back from the op log, and deletes the notes in
// the transaction that counts them. The counts are the same as inline:
// observe is a sum over ops in any order and batching. Two things read at
// counting time may have moved by then, both towards privacy: an erasure
// applied in between keeps the patron out of the channel sets (as for a
// late op), and a payload redacted in between counts without its patron.

// counted reports whether observe may count op (kinds it ignores need no
// note).
func counted(op replicate.Op) bool {
	switch op.Kind {
	case branch.KindCheckout, branch.KindCheckin, branch.KindRenew, branch.KindHoldPlace, branch.KindHoldStatus,
		handoff.KindIssue, handoff.KindUse, KindSearches:
		return true
	case branch.KindPatronSet:
		return bytes.Contains(op.Payload, []byte(`"registered_at"`))
	}
	return false
}

// notePending notes the ops of a batch that insight counts.
func notePending(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	args := make([]any, 0, 2*len(ops))
	for _, op := range ops {
		if counted(op) {
			args = append(args, int64(op.Origin), int64(op.Counter))
		}
	}
	if len(args) == 0 {
		return nil
	}
	if err := tx.ExecValues(ctx, `INSERT INTO insight_pending (origin, counter)`, 2, ``, args); err != nil {
		return fmt.Errorf("insight: note: %w", err)
	}
	branch.Noted(tx)
	return nil
}

// catchUp counts up to limit noted ops (all if limit <= 0), oldest note
// first, and deletes their notes. A note whose op the log no longer holds
// (compacted away before it was counted) is dropped.
func (c counter) catchUp(ctx context.Context, tx *replicate.Tx, limit int) (int, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, origin, counter FROM insight_pending ORDER BY seq LIMIT ?`, limit)
	if err != nil {
		return 0, fmt.Errorf("insight: pending: %w", err)
	}
	var at []replicate.OpPos
	var last int64
	for rows.Next() {
		var origin, ctr int64
		if err := rows.Scan(&last, &origin, &ctr); err != nil {
			rows.Close()
			return 0, err
		}
		at = append(at, replicate.OpPos{Origin: replicate.NodeID(origin), Counter: uint64(ctr)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := len(at)
	if n == 0 {
		return 0, nil
	}
	// The noted ops the log still holds (one compacted away before it was
	// counted is dropped with its note); observe is a sum, so their order
	// does not matter.
	var ops []replicate.Op
	if err := tx.ScanOps(ctx, replicate.OpFilter{At: at}, func(o replicate.Op) error {
		ops = append(ops, o)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("insight: pending ops: %w", err)
	}
	if err := c.observe(ctx, tx, ops); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM insight_pending WHERE seq<=?`, last); err != nil {
		return 0, fmt.Errorf("insight: pending: %w", err)
	}
	return n, nil
}
