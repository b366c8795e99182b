package replicate

import (
	"context"
	"errors"
	"fmt"
)

// Proposer takes a log's writes to a replicated state machine (the central
// site's Raft cluster) instead of committing them locally. The state
// machine commits them everywhere, in one order, and applies them to each
// replica's log with Direct contexts.
type Proposer interface {
	// ProposeOps commits ops emitted by a local command as this log's own
	// (origin and counters are assigned when the state machine applies
	// them; HLC, kind, payload, actor and channel are kept).
	ProposeOps(ctx context.Context, ops []Op) error
	// ProposeIntegrate commits other nodes' ops and reports how many were
	// new.
	ProposeIntegrate(ctx context.Context, ops []Op) (int, error)
}

type directKey struct{}

// Direct marks ctx as the replicated state machine's own: writes under it
// are committed locally even on a log with a Proposer.
func Direct(ctx context.Context) context.Context { return context.WithValue(ctx, directKey{}, true) }

func isDirect(ctx context.Context) bool { return ctx.Value(directKey{}) != nil }

// errDryRun rolls back a command run only to learn the ops it emits.
var errDryRun = errors.New("replicate: dry run")

// propose runs fn to learn its ops, discards its local effects and hands the
// ops to the proposer. Writes fn makes other than ops are not kept.
func (l *Log) propose(ctx context.Context, fn func(*Tx) error) error {
	var ops []Op
	err := l.update(Direct(ctx), func(tx *Tx) error {
		tx.dryRun = true
		err := fn(tx)
		if tx.dryErr != nil {
			return tx.dryErr
		}
		if err != nil {
			return err
		}
		ops = append([]Op(nil), tx.emitted...)
		return errDryRun
	}, true)
	if !errors.Is(err, errDryRun) {
		return err
	}
	if len(ops) == 0 {
		return nil
	}
	return l.cfg.Proposer.ProposeOps(ctx, ops)
}

// unappliedRun is ops a dry run emitted together (EmitRaw's one, or
// EmitBatchDecoded's batch and its decoded payloads).
type unappliedRun struct {
	ops     []Op
	decoded []any
}

// applyUnapplied stores and applies, in order, the ops a dry run emitted
// since its last read, as Emit would have at once: run before every
// statement of the transaction, so that the command reads its own writes.
// A command's last ops (most commands emit after reading, and the audit
// record rides last) are so never applied in the dry run: the replicas
// apply them once the state machine commits them. An op that would fail to
// apply is still caught: here if read after, else on every replica alike,
// which answer the entry with the error and keep nothing of it.
func (t *Tx) applyUnapplied(ctx context.Context) error {
	if len(t.unapplied) == 0 || t.dryErr != nil {
		return t.dryErr
	}
	runs := t.unapplied
	t.unapplied = nil // the appliers' own reads must not come back here
	for _, r := range runs {
		if err := t.storeApply(ctx, r.ops, r.decoded); err != nil {
			t.dryErr = fmt.Errorf("replicate: apply %s: %w", r.ops[0].Kind, err)
			return t.dryErr
		}
	}
	return nil
}

// holdBack keeps ops a dry run emitted for applyUnapplied.
func (t *Tx) holdBack(ops []Op, decoded []any) {
	t.unapplied = append(t.unapplied, unappliedRun{ops: ops, decoded: decoded})
	t.appended(ops)
}

// DryRun reports whether the transaction only learns the ops a command
// emits, to propose them (a log with a Proposer: central's nodes): nothing
// it writes is kept, and the ops are applied on every replica once the
// state machine commits them. An applier may skip work whose result
// nothing in the command reads back.
func (t *Tx) DryRun() bool { return t.dryRun }

// admit drops the ops that the config's Admit refuses.
func (l *Log) admit(ops []Op) []Op {
	if l.cfg.Admit == nil {
		return ops
	}
	var out []Op
	for i, op := range ops {
		if err := l.cfg.Admit(op); err != nil {
			if out == nil {
				out = append(make([]Op, 0, len(ops)), ops[:i]...)
			}
			l.refused(op, err)
			continue
		}
		if out != nil {
			out = append(out, op)
		}
	}
	if out == nil {
		return ops
	}
	return out
}

// refused logs a refused op, once per origin and reason.
func (l *Log) refused(op Op, err error) {
	key := fmt.Sprintf("%s %v", op.Origin, err)
	l.refusedMu.Lock()
	seen := l.refusedSeen[key]
	if l.refusedSeen == nil {
		l.refusedSeen = map[string]bool{}
	}
	l.refusedSeen[key] = true
	l.refusedMu.Unlock()
	l.Refused.Add(1)
	if !seen {
		l.log.Warn("refusing ops", "origin", op.Origin.String(), "reason", err.Error(), "op", op.ID())
	}
}

// ReloadCounter re-reads the next local counter from the ops table, after
// the database was replaced underneath the log (a snapshot restore).
func (t *Tx) ReloadCounter(ctx context.Context) error {
	t.log.pending = nil // names of the replaced database
	top, maxHLC, err := localHighWater(ctx, t, t.log.cfg.Node)
	if err != nil {
		return err
	}
	t.log.next = top + 1
	t.log.hlc.Observe(maxHLC)
	return nil
}

// IntegrateAdmitted is Tx.Integrate without Config.Admit: for a replicated
// state machine, whose entries were admitted once, by the node that
// proposed them, so that every replica applies exactly the same ops (an
// Admit that reads local state could answer differently on each replica).
func (t *Tx) IntegrateAdmitted(ctx context.Context, ops []Op) (int, error) {
	return t.integrate(ctx, ops, nil)
}
