package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"stacks/branch/digital"
	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/central"
	"stacks/replicate/peersync"
)

// Digital lending's wiring. A licence count must never be exceeded, so
// digital loans are granted in one place: a standalone appliance (no peers,
// no central configured: the demo) decides them itself; in a cluster the
// central site's Raft state machine decides them (decider "digital"), and
// a branch forwards each request to a central node over the node-to-node
// API (POST /central/v1/digital). A follower forwards it on to the leader.
// The decision's ops come back with the answer, so the branch shows the
// loan at once; they reach every node by sync as well.

// digitalDecider names central's decider of digital requests.
const digitalDecider = "digital"

// digitalPath is where a central node takes digital requests from
// branches (the node-to-node API).
const digitalPath = "/central/v1/digital"

// maxDigitalRequest bounds one request's body.
const maxDigitalRequest = 64 << 10

// openDigital makes the node's digital lending: on a central node its
// requests go through Raft; on a branch with central nodes (or peers) to
// ask, to them; else this node decides.
func (n *Node) openDigital() {
	var remote digital.Remote
	switch {
	case n.isCentral():
		remote = centralDigital{n: n}
	case len(n.digitalCentrals()) > 0:
		remote = branchDigital{n: n}
	}
	n.digital = digital.NewService(n.svc, remote, n.cfg.Rand)
}

// digitalCentrals are the nodes a branch asks for digital loans: the
// configured central nodes, else its peers (a peer that is not central
// answers 404 and the next is asked).
func (n *Node) digitalCentrals() []string {
	if len(n.cfg.CentralURLs) > 0 {
		return n.cfg.CentralURLs
	}
	return n.cfg.Peers
}

// setDigitalDecider registers central's decider of digital requests (a
// central node, before Raft opens).
func (n *Node) setDigitalDecider() {
	loc := n.cfg.Location
	n.central.SetDecider(digitalDecider, func(ctx context.Context, d *central.Decision) ([]byte, error) {
		return digital.Decide(ctx, d.Tx, d.Time(), loc, d.Payload, func(ctx context.Context, kind string, p any, actor, channel string) error {
			_, err := d.Emit(ctx, kind, p, actor, channel)
			return err
		})
	})
}

// centralDigital decides a central node's own digital requests through
// Raft; their ops are in its log once Decide returns.
type centralDigital struct{ n *Node }

func (c centralDigital) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	out, _, err := c.n.central.Decide(ctx, digitalDecider, req)
	return out, nil, err
}

// digitalReply is central's answer to a branch: the decision's reply and
// its ops (a frame).
type digitalReply struct {
	Reply json.RawMessage `json:"reply"`
	Ops   []byte          `json:"ops,omitempty"`
}

// branchDigital sends a branch's digital requests to central, trying each
// central node in turn.
type branchDigital struct{ n *Node }

// errNoCentral: no central node answered.
var errNoCentral = errors.New("node: no central node answered")

func (b branchDigital) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	doer := b.n.digitalDoer()
	var errs []error
	for _, base := range b.n.digitalCentrals() {
		out, ops, err := askCentral(ctx, doer, base, req)
		if err == nil {
			return out, ops, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", base, err))
	}
	err := errors.Join(append([]error{errNoCentral}, errs...)...)
	b.n.lg.Warn("digital lending unavailable here: no central node answered", "err", err)
	return nil, nil, err
}

func askCentral(ctx context.Context, doer peersync.Doer, base string, req []byte) ([]byte, []replicate.Op, error) {
	return askCentralAt(ctx, doer, base, digitalPath, req)
}

// askCentralAt sends a request for one of central's deciders to the
// node-to-node path at base (digital lending's, handoff codes').
func askCentralAt(ctx context.Context, doer peersync.Doer, base, path string, req []byte) ([]byte, []replicate.Op, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+path, bytes.NewReader(req))
	if err != nil {
		return nil, nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := doer.Do(hr)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, replicate.MaxFrameBytes))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var rep digitalReply
	if err := json.Unmarshal(body, &rep); err != nil {
		return nil, nil, err
	}
	var ops []replicate.Op
	if len(rep.Ops) > 0 {
		fr := replicate.NewFrameReader(bytes.NewReader(rep.Ops))
		for {
			batch, err := fr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, err
			}
			ops = append(ops, batch...)
		}
	}
	return rep.Reply, ops, nil
}

// digitalDoer is the client of node-to-node calls, saying who calls.
func (n *Node) digitalDoer() peersync.Doer {
	return identifyingDoer{next: n.nodeClient, node: n.id.NodeHex, branch: n.id.Branch, version: Version}
}

// serveDecision answers a branch's request for one of central's deciders
// (digital lending's, handoff codes'): decided through Raft, the answer
// and the decision's ops sent back. what names the request in errors.
func (n *Node) serveDecision(decider, what string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := io.ReadAll(io.LimitReader(r.Body, maxDigitalRequest+1))
		if err != nil || len(req) == 0 || len(req) > maxDigitalRequest || !json.Valid(req) {
			http.Error(w, "bad "+what+" request", http.StatusBadRequest)
			return
		}
		out, ops, err := n.central.Decide(r.Context(), decider, req)
		if err != nil {
			n.lg.Warn(what+" request not decided", "err", err, "from", r.Header.Get(headerNode))
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		rep := digitalReply{Reply: out}
		if len(ops) > 0 {
			rep.Ops = replicate.EncodeFrame(nil, ops)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(rep)
	}
}

// sweepDigital ends digital loans whose period is over and lends the
// places to waiting patrons: on a standalone appliance, and on central's
// leader (a branch in a cluster leaves it to central).
func (n *Node) sweepDigital(ctx context.Context) {
	t, tick := n.cfg.Clock.NewTicker(n.cfg.DigitalSweep)
	defer t.Stop()
	for {
		if !n.isCentral() || n.central.IsLeader() {
			actor := domain.WithActor(ctx, domain.Actor{ID: "digital-sweeper", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
			if res, err := n.digital.Sweep(actor); err != nil && ctx.Err() == nil {
				n.lg.Warn("digital loan sweep failed", "err", err)
			} else if res != nil && (len(res.Returned) > 0 || len(res.Filled) > 0) {
				n.lg.Info("digital loans ended and holds filled", "ended", len(res.Returned), "filled", len(res.Filled))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

// Digital is the node's digital lending.
func (n *Node) Digital() *digital.Service { return n.digital }
