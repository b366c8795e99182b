package branch

import (
	"context"
	"fmt"
	"time"

	"stacks/replicate"
)

// Derived state after the commit. Some capabilities derive local state
// from the ops a batch applied (insight's counters, the recommendations'
// co-borrowing counts) that nothing in the batch's own transaction reads
// and that no other replica sees. Counted inline, in the applying
// transaction, that work lengthens every durable command (a lone checkout
// spends ~a third of its SQL on it). With a Deferral, the applier tells
// their hooks to only note what to derive (Deferred: one small row per
// op or copy in a changes table of their own, committed with the op), and
// their CatchUp passes derive it in a transaction of their own once the
// command has committed (Service.RunCatchUp, woken by the note; a read
// that must be fresh runs Service.CatchUp first). The notes are the
// cursor: a crash between the commit and the pass loses nothing, since the
// pass finds them on the next start, and a pass deletes what it derived in
// the transaction that derives it, so nothing counts twice. Without a
// Deferral (tests, simulations, tools) the hooks derive inline, as before.

// A Deferral wakes the catch-up passes of an applier that defers derived
// state (Applier.Deferring); the Service that runs them has it in its
// Config.
type Deferral struct {
	kick chan struct{}
}

// NewDeferral returns a Deferral for one applier and its Service.
func NewDeferral() *Deferral { return &Deferral{kick: make(chan struct{}, 1)} }

func (d *Deferral) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Deferring returns a copy of a that defers the derived state of the
// capabilities with a CatchUp to their catch-up passes, woken through d.
func (a Applier) Deferring(d *Deferral) Applier {
	a.deferral = d
	for _, c := range a.caps {
		if c.CatchUpFirst {
			for _, k := range c.Kinds {
				if a.first == nil {
					a.first = map[string]bool{}
				}
				a.first[k] = true
			}
		}
	}
	return a
}

const (
	deferredMemo = "branch.deferred"
	notedMemo    = "branch.deferred.noted"
)

// Deferred reports whether tx applies ops for an applier that defers
// derived state: a capability's Observe or Touched hook then notes what to
// derive for its CatchUp, and calls Noted.
func Deferred(tx *replicate.Tx) bool {
	d, _ := txMemo(tx)[deferredMemo].(*Deferral)
	return d != nil
}

// Noted wakes the catch-up passes: a hook noted something to derive in
// tx. They run in a transaction after it (the op log's writer is busy with
// tx until it commits).
func Noted(tx *replicate.Tx) {
	memo := txMemo(tx)
	if d, _ := memo[deferredMemo].(*Deferral); d != nil && memo[notedMemo] == nil {
		memo[notedMemo] = true // once a transaction: one pass derives all its notes
		d.wake()
	}
}

// beginDeferred marks tx as deferring and, when ops hold a kind of a
// CatchUpFirst capability, runs every catch-up in tx first.
func (a Applier) beginDeferred(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	if a.deferral == nil {
		return nil
	}
	txMemo(tx)[deferredMemo] = a.deferral
	if len(a.first) == 0 {
		return nil
	}
	for _, op := range ops {
		if a.first[op.Kind] {
			_, err := catchUpAll(ctx, tx, a.caps, 0)
			return err
		}
	}
	return nil
}

// catchUpBatch is how many notes a capability derives per transaction.
const catchUpBatch = 512

// catchUpAll runs each capability's CatchUp once in tx; full reports
// whether one of them derived its whole limit (more may wait).
func catchUpAll(ctx context.Context, tx *replicate.Tx, caps []Capability, limit int) (full bool, err error) {
	for _, c := range caps {
		if c.CatchUp == nil {
			continue
		}
		n, err := c.CatchUp(ctx, tx, limit)
		if err != nil {
			return false, fmt.Errorf("%s: catch up: %w", c.Name, err)
		}
		full = full || (limit > 0 && n >= limit)
	}
	return full, nil
}

// CatchUp derives everything the capabilities noted until now (nothing
// without a Config.Deferral): on return, derived state holds every op
// committed before the call. A read that must be fresh (a report) runs it
// first. It commits in this node's own database (on a central node too:
// derived state emits no ops).
func (s *Service) CatchUp(ctx context.Context) error {
	if s.cfg.Deferral == nil {
		return nil
	}
	for {
		var more bool
		err := s.log.Update(replicate.Direct(ctx), func(tx *replicate.Tx) error {
			var err error
			more, err = catchUpAll(ctx, tx, s.cfg.Capabilities, catchUpBatch)
			return err
		})
		if err != nil {
			return fmt.Errorf("branch: catch up: %w", err)
		}
		if !more {
			return nil
		}
	}
}

// RunCatchUp runs the catch-up passes until ctx is done: once at start
// (what a crash left noted), then whenever a hook notes something, and on
// every tick (nil: none), which retries a pass that failed. settle, if not
// nil, starts a short timer that a pass woken by a note waits for first,
// so that the notes of commands that come back to back (one desk scanning
// a pile of books, sixteen desks at once) are derived in one pass and one
// commit, not one pass each, and the pass does not queue ahead of the next
// command for the op log's writer.
func (s *Service) RunCatchUp(ctx context.Context, tick <-chan time.Time, settle func() <-chan time.Time) {
	if s.cfg.Deferral == nil {
		return
	}
	for {
		if err := s.CatchUp(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("catch-up of derived state failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.cfg.Deferral.kick:
			if settle != nil {
				select {
				case <-ctx.Done():
					return
				case <-settle():
				}
				// Notes made while settling are in this pass.
				select {
				case <-s.cfg.Deferral.kick:
				default:
				}
			}
		case <-tick:
		}
	}
}
