package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"stacks/replicate"
)

// entryDecide is a request that the state machine decides when it applies
// it, against the state every replica holds at that place in the log: a
// linearizable decision (a bounded counter such as a licence count), which
// a dry run on the proposing node cannot make, because two nodes' dry runs
// would both see the last unit free.
const entryDecide byte = 'D'

// A Decider decides one request inside the state machine's transaction.
// It must be deterministic: it reads only d.Tx, d.Payload and d.Time (never
// the wall clock or randomness), so that every replica emits the same ops.
// It answers a result for the proposer; an error rolls back what it wrote
// and is answered as the entry's error.
type Decider func(ctx context.Context, d *Decision) ([]byte, error)

// Decision is one request being decided.
type Decision struct {
	Tx      *replicate.Tx
	Payload []byte
	hlc     replicate.Timestamp
	n       uint64
}

// Time is the decision's time: the proposer's clock when it proposed the
// request (the same on every replica).
func (d *Decision) Time() time.Time { return d.hlc.Time() }

// Emit appends an op of central's origin and applies it. Its HLC derives
// from the entry's, so every replica gives it the same one.
func (d *Decision) Emit(ctx context.Context, kind string, payload any, actor, channel string) (replicate.Op, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return replicate.Op{}, fmt.Errorf("central: encode %s: %w", kind, err)
	}
	op, err := d.Tx.EmitRaw(ctx, replicate.Op{HLC: d.hlc + replicate.Timestamp(d.n), Kind: kind, Payload: b, Actor: actor, Channel: channel})
	if err == nil {
		d.n++
	}
	return op, err
}

// decideEntry is the data of a decide entry (after its type byte).
type decideEntry struct {
	Name    string              `json:"name"`
	HLC     replicate.Timestamp `json:"hlc"`
	Payload json.RawMessage     `json:"payload"`
}

// DecideEntry is the entry data of a request for the decider name, at hlc
// (the proposer's clock), as Node.Decide makes it.
func DecideEntry(name string, hlc replicate.Timestamp, payload []byte) []byte {
	b, _ := json.Marshal(decideEntry{Name: name, HLC: hlc, Payload: payload})
	return append([]byte{entryDecide}, b...)
}

func (f *fsm) applyDecide(ctx context.Context, tx *replicate.Tx, data []byte) applyResult {
	var e decideEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return applyResult{Err: fmt.Errorf("central: bad decide entry: %w", err)}
	}
	dec := f.deciders[e.Name]
	if dec == nil {
		return applyResult{Err: fmt.Errorf("central: no decider %q", e.Name)}
	}
	before := len(tx.Emitted())
	res, err := dec(ctx, &Decision{Tx: tx, Payload: e.Payload, hlc: e.HLC})
	if err != nil {
		return applyResult{Err: err}
	}
	ops := append([]replicate.Op(nil), tx.Emitted()[before:]...)
	return applyResult{Added: len(ops), Ops: ops, Result: res}
}

// SetDecider registers the decider of requests named name (before Open).
func (n *Node) SetDecider(name string, d Decider) {
	if n.deciders == nil {
		n.deciders = map[string]Decider{}
	}
	n.deciders[name] = d
}

// SetDecider registers the decider of requests named name.
func (m *StateMachine) SetDecider(name string, d Decider) {
	if m.f.deciders == nil {
		m.f.deciders = map[string]Decider{}
	}
	m.f.deciders[name] = d
}

// ErrDecide wraps a decider's error as the proposer receives it.
var ErrDecide = errors.New("central: decision failed")

// Decide commits a request for the decider name through Raft (forwarded
// to the leader from a follower) and returns the decider's result and the
// ops it emitted, once the entry is applied on this node too.
func (n *Node) Decide(ctx context.Context, name string, payload []byte) ([]byte, []replicate.Op, error) {
	data := DecideEntry(name, n.log.Clock().Now(), payload)
	if n.raft.State() == raft.Leader {
		res, _, err := n.applyLocalFull(data)
		switch {
		case err == nil && res.Err != nil:
			return nil, nil, fmt.Errorf("%w: %w", ErrDecide, res.Err)
		case err == nil:
			return res.Result, res.Ops, nil
		case !errors.Is(err, raft.ErrNotLeader) && !errors.Is(err, raft.ErrLeadershipLost):
			return nil, nil, err
		}
		// Not led here any more: the leader decides (a repeated request is
		// answered as the first).
	}
	pr, err := n.forwardFull(ctx, data)
	if err != nil {
		return nil, nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, n.cfg.ApplyTimeout)
	defer cancel()
	if err := n.fsm.waitApplied(wctx, pr.Index); err != nil {
		return nil, nil, fmt.Errorf("central: committed at index %d but not yet applied here: %w", pr.Index, err)
	}
	if pr.Error != "" {
		return nil, nil, fmt.Errorf("%w: %s", ErrDecide, pr.Error)
	}
	var ops []replicate.Op
	if len(pr.Ops) > 0 {
		if ops, err = decodeOps(pr.Ops); err != nil {
			return nil, nil, err
		}
	}
	return pr.Result, ops, nil
}
