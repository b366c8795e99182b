package node

import (
	"context"
	"errors"
	"fmt"

	"stacks/branch/handoff"
	"stacks/branch/patronprefs"
	"stacks/hardware/sip2"
	"stacks/node/web"
	"stacks/replicate"
	"stacks/replicate/central"
)

// Handoff codes' wiring, as digital lending's (digital.go): a code must be
// used once cluster-wide, so in a cluster central's Raft state machine
// decides issuing and using (decider "handoff"), and a branch forwards
// each request to a central node (POST /central/v1/handoff); a standalone
// appliance decides itself. The decision's ops come back with the answer.

const (
	handoffDecider = "handoff"
	handoffPath    = "/central/v1/handoff"
)

// openHandoff makes the node's handoff codes under the cluster key.
func (n *Node) openHandoff(key []byte) error {
	var remote handoff.Remote
	switch {
	case n.isCentral():
		remote = centralHandoff{n: n}
	case len(n.digitalCentrals()) > 0:
		remote = branchHandoff{n: n}
	}
	h, err := handoff.New(n.svc, handoff.Config{Key: key, Rand: n.cfg.Rand, Remote: remote, Feedback: n.feedback})
	if err != nil {
		return err
	}
	n.handoff = h
	return nil
}

// Handoff is the node's handoff codes.
func (n *Node) Handoff() *handoff.Service { return n.handoff }

// setHandoffDecider registers central's decider of handoff requests.
func (n *Node) setHandoffDecider() {
	n.central.SetDecider(handoffDecider, func(ctx context.Context, d *central.Decision) ([]byte, error) {
		return handoff.Decide(ctx, d.Tx, d.Time(), d.Payload, func(ctx context.Context, kind string, p any, actor, channel string) error {
			_, err := d.Emit(ctx, kind, p, actor, channel)
			return err
		})
	})
}

// centralHandoff decides a central node's own requests through Raft.
type centralHandoff struct{ n *Node }

func (c centralHandoff) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	out, _, err := c.n.central.Decide(ctx, handoffDecider, req)
	return out, nil, err
}

// branchHandoff sends a branch's requests to central, each central node in
// turn.
type branchHandoff struct{ n *Node }

func (b branchHandoff) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	doer := b.n.digitalDoer()
	var errs []error
	for _, base := range b.n.digitalCentrals() {
		out, ops, err := askCentralAt(ctx, doer, base, handoffPath, req)
		if err == nil {
			return out, ops, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", base, err))
	}
	err := errors.Join(append([]error{errNoCentral}, errs...)...)
	b.n.lg.Warn("handoff codes unavailable here: no central node answered", "err", err)
	return nil, nil, err
}

// SIP2Handoff lets the SIP2 ACS accept handoff codes (sip2.HandoffCodes).
type SIP2Handoff struct{ H *handoff.Service }

var _ sip2.HandoffCodes = SIP2Handoff{}

// IsHandoffCode reports whether s is shaped like a handoff code.
func (a SIP2Handoff) IsHandoffCode(s string) bool { return handoff.LooksLike(s) }

// RedeemHandoff uses a code once.
func (a SIP2Handoff) RedeemHandoff(ctx context.Context, code string) (string, string, error) {
	r, err := a.H.Redeem(ctx, code)
	if handoff.IsUnknown(err) {
		return "", "", sip2.ErrNoSuchHandoff
	}
	if err != nil {
		return "", "", err
	}
	return r.PatronID, r.Intent, nil
}

// PickupReadyHolds checks out the patron's ready holds here.
func (a SIP2Handoff) PickupReadyHolds(ctx context.Context, patronID string) (done []string, refused []error, err error) {
	ps, err := a.H.PickupReadyHolds(ctx, patronID)
	for _, p := range ps {
		if p.Refusal != nil {
			refused = append(refused, p.Refusal)
		} else {
			done = append(done, p.Title)
		}
	}
	return done, refused, err
}

var _ web.Prefs = (*patronprefs.Service)(nil)

// WebHandoffs lets the patron web make handoff codes (web.Handoffs).
type WebHandoffs struct{ H *handoff.Service }

var _ web.Handoffs = WebHandoffs{}

// IssueHandoff makes a code for the patron's intent.
func (a WebHandoffs) IssueHandoff(ctx context.Context, patronID, intent string) (code, qr, expiresAt string, err error) {
	c, err := a.H.Issue(ctx, patronID, intent)
	if err != nil {
		return "", "", "", err
	}
	return c.Code, c.QR, c.ExpiresAt, nil
}
