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
	rows, err := tx.QueryContext(ctx, `SELECT p.seq, p.origin, p.counter, coalesce(o.hlc, 0), coalesce(o.kind, ''), coalesce(o.payload, ''),
		coalesce(o.actor, ''), coalesce(o.channel, '') FROM insight_pending AS p LEFT JOIN ops AS o ON o.origin=p.origin AND o.counter=p.counter
		ORDER BY p.seq LIMIT ?`, limit)
	if err != nil {
		return 0, fmt.Errorf("insight: pending: %w", err)
	}
	var ops []replicate.Op
	var last int64
	n := 0
	for rows.Next() {
		var o replicate.Op
		var origin, ctr, hlc int64
		if err := rows.Scan(&last, &origin, &ctr, &hlc, &o.Kind, &o.Payload, &o.Actor, &o.Channel); err != nil {
			rows.Close()
			return 0, err
		}
		n++
		o.Origin, o.Counter, o.HLC = replicate.NodeID(origin), uint64(ctr), replicate.Timestamp(hlc)
		if o.Kind != "" {
			ops = append(ops, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	if err := c.observe(ctx, tx, ops); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM insight_pending WHERE seq<=?`, last); err != nil {
		return 0, fmt.Errorf("insight: pending: %w", err)
	}
	return n, nil
}
