package central

import (
	"context"
	"log/slog"

	"github.com/hashicorp/raft"

	"stacks/replicate"
)

// StateMachine is a central node's state machine (the FSM Raft drives)
// without hashicorp/raft around it, for a cluster whose Raft is modelled
// elsewhere: the deterministic simulations, which cannot run Raft's
// goroutines and timers under their seeded clock. Apply is the FSM's own
// ApplyBatch, so entries are applied by the same code, exactly once each
// (the applied index commits with their effects). Unlike the FSM under
// Raft, a write that fails is not retried here: Apply answers its error
// and the caller applies the entries again later.
type StateMachine struct{ f *fsm }

// NewStateMachine returns the state machine over a central node's log and
// database (opened with Migrations). It does no I/O; call LoadApplied.
func NewStateMachine(log *replicate.Log, db *replicate.DB, lg *slog.Logger) *StateMachine {
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	stop := make(chan struct{})
	close(stop) // no retry loop: the caller retries
	return &StateMachine{f: newFSM(log, db, "", lg, stop)}
}

// Entry is one committed Raft log entry.
type Entry struct {
	Index, Term uint64
	// Noop is an entry with no command (a new leader's first entry): it
	// only moves the applied index.
	Noop bool
	Data []byte
}

// EntryResult is what applying one entry gave.
type EntryResult struct {
	// Skipped: the entry was applied before (or is a no-op).
	Skipped bool
	Added   int            // ops new to this replica
	Ops     []replicate.Op // a local or decide entry's ops, origin and counters assigned
	Err     error          // the entry's own error (every replica finds the same), or the write's
	// Result is a decide entry's answer for its proposer.
	Result []byte
}

// LoadApplied reads the index of the last entry applied to the database.
func (m *StateMachine) LoadApplied(ctx context.Context) (uint64, error) { return m.f.loadApplied(ctx) }

// Applied is the index of the last entry applied.
func (m *StateMachine) Applied() uint64 { return m.f.applied.Load() }

// Apply applies committed entries, in index order, in one transaction.
func (m *StateMachine) Apply(entries []Entry) []EntryResult {
	if len(entries) == 0 {
		return nil
	}
	logs := make([]*raft.Log, len(entries))
	for i, e := range entries {
		typ := raft.LogCommand
		if e.Noop {
			typ = raft.LogNoop
		}
		logs[i] = &raft.Log{Index: e.Index, Term: e.Term, Type: typ, Data: e.Data}
	}
	out := make([]EntryResult, len(entries))
	for i, r := range m.f.ApplyBatch(logs) {
		if r == nil {
			out[i].Skipped = true
			continue
		}
		res := r.(applyResult)
		out[i] = EntryResult{Added: res.Added, Ops: res.Ops, Err: res.Err, Result: res.Result}
	}
	return out
}

// LocalEntry is the entry data of ops a central command emitted (origin
// and counters are assigned when it is applied), as ProposeOps makes it.
func LocalEntry(ops []replicate.Op) []byte {
	return append([]byte{entryLocal}, replicate.EncodeFrame(nil, ops)...)
}

// IntegrateEntry is the entry data of other nodes' ops, as
// ProposeIntegrate makes it.
func IntegrateEntry(ops []replicate.Op) []byte {
	return append([]byte{entryIntegrate}, replicate.EncodeFrame(nil, ops)...)
}
