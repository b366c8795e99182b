package branch

import (
	"context"
	"sync"

	"stacks/replicate"
)

// A Rider is work an edge attaches to one request's context so that it
// commits together with the change the request makes: the first command of
// that request that emits ops runs it inside its own transaction, after the
// command's ops (which it is given), and what it emits commits with them or
// not at all. The API's audit record rides so: one transaction (one fsync at
// a branch, one Raft entry at central) per audited write instead of two.
//
// A rider runs at most once per request. A command that fails, or whose
// transaction does not commit, leaves it to a later command of the request;
// Close ends it, and Rode says whether it committed with a change.
type Rider struct {
	fn func(ctx context.Context, t *Txn, ops []replicate.Op) error

	mu    sync.Mutex
	state riderState
}

type riderState int

const (
	riderWaiting riderState = iota
	riderRiding             // running in a transaction not yet committed
	riderRode               // committed with a change
	riderClosed             // closed before any change committed
)

type riderKey struct{}

// WithRider returns ctx carrying a rider that runs fn; see Rider.
func WithRider(ctx context.Context, fn func(ctx context.Context, t *Txn, ops []replicate.Op) error) (context.Context, *Rider) {
	r := &Rider{fn: fn}
	return context.WithValue(ctx, riderKey{}, r), r
}

func riderFrom(ctx context.Context) *Rider {
	r, _ := ctx.Value(riderKey{}).(*Rider)
	return r
}

// take claims the rider for one transaction.
func (r *Rider) take() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != riderWaiting {
		return false
	}
	r.state = riderRiding
	return true
}

// settle ends a transaction that took the rider: committed or not.
func (r *Rider) settle(committed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != riderRiding {
		return
	}
	if committed {
		r.state = riderRode
	} else {
		r.state = riderWaiting
	}
}

// Close stops the rider (no later command runs it) and reports whether it
// committed with a change.
func (r *Rider) Close() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == riderWaiting {
		r.state = riderClosed
	}
	return r.state == riderRode
}
