package notices

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
)

// Remote decides claims elsewhere: central's Raft state machine, through
// a central node (decider "notices"). It answers the decision's reply and
// ops.
type Remote interface {
	Decide(ctx context.Context, request []byte) (reply []byte, ops []replicate.Op, err error)
}

// claimRequest asks to send some notices. A notice is granted when no
// node claimed it (its base, whatever the channel) before; a fallback to
// the next channel only to the node that claimed the one that failed. With
// Digest, the first claim is the digest and the others its parts: nothing
// is granted unless the digest is.
type claimRequest struct {
	Node   string    `json:"node"`
	Digest bool      `json:"digest,omitempty"`
	Claims []claimOp `json:"claims"`
	Actor  string    `json:"actor,omitempty"`
	// Start asks to begin sending claimed notices; Takeover to take over
	// notices whose claim's lease ran out (lease.go). A request does one
	// of claim, start or take over.
	Start    []startItem `json:"start,omitempty"`
	Takeover []string    `json:"takeover,omitempty"`
	Lease    string      `json:"lease,omitempty"` // a Go duration, for Takeover
}

type claimReply struct {
	Granted []string `json:"granted"`
}

// Decide decides an encoded claim request inside a replicated state
// machine's transaction (central's Raft FSM): q is the transaction, now
// the request's time (the same on every replica), emit appends an op. It
// reads nothing but q and the request, so every replica emits the same.
func Decide(ctx context.Context, q replicate.Querier, now time.Time, payload []byte,
	emit func(ctx context.Context, kind string, payload any, actor, channel string) error) ([]byte, error) {
	var req claimRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return nil, fmt.Errorf("notices: bad claim request: %w", err)
	}
	rep, err := decideClaims(ctx, q, now, req, func(ctx context.Context, kind string, p any) error {
		return emit(ctx, kind, p, req.Actor, string(domain.ChannelAPI))
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(rep)
}

func decideClaims(ctx context.Context, q replicate.Querier, now time.Time, req claimRequest, emit func(ctx context.Context, kind string, p any) error) (*claimReply, error) {
	rep := &claimReply{Granted: []string{}}
	if req.Node == "" {
		return nil, errors.New("notices: a claim names no node")
	}
	switch {
	case len(req.Start) > 0:
		return decideStart(ctx, q, now, req, emit)
	case len(req.Takeover) > 0:
		return decideTakeover(ctx, q, now, req, emit)
	}
	at := now.UTC().Format(domain.TimeLayout)
	for i, c := range req.Claims {
		ok, err := claimable(ctx, q, req.Node, c)
		if err != nil {
			return nil, err
		}
		if !ok {
			if req.Digest && i == 0 {
				return rep, nil
			}
			continue
		}
		c.Node, c.At = req.Node, at
		if err := emit(ctx, KindClaim, c); err != nil {
			return nil, err
		}
		rep.Granted = append(rep.Granted, c.Key)
	}
	return rep, nil
}

// claimable reports whether c may be claimed by node: nobody claimed its
// base yet; or, for a fallback, nobody claimed its key and node claimed
// the notice whose channel failed.
func claimable(ctx context.Context, q replicate.Querier, node string, c claimOp) (bool, error) {
	if c.Key == "" || c.Base == "" {
		return false, nil
	}
	var n int
	if c.FallbackOf == "" {
		err := q.QueryRowContext(ctx, `SELECT count(*) FROM notices WHERE base=? AND claim_stamp<>''`, c.Base).Scan(&n)
		return n == 0, err
	}
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM notices WHERE notice_key=? AND claim_stamp<>''`, c.Key).Scan(&n); err != nil || n > 0 {
		return false, err
	}
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM notices WHERE notice_key=? AND claimed_by=?`, c.FallbackOf, node).Scan(&n)
	return n > 0, err
}
