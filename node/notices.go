package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/branch/recommend"
	"stacks/replicate"
	"stacks/replicate/central"
)

// The notice engine's wiring, as digital lending's and handoff codes': a
// notice must be sent once cluster-wide, so in a cluster central's Raft
// state machine decides who sends each (decider "notices"), and a branch
// sends its claims to a central node (POST /central/v1/notices); a
// standalone appliance claims in its own transaction. Every node with a
// Sender (Config.NoticeSender) evaluates the triggers every minute; the
// node whose claim is granted sends. A branch cut off from central claims
// nothing and sends once it can reach central again.

const (
	noticesDecider = "notices"
	noticesPath    = "/central/v1/notices"
)

// openNotices makes the node's notice engine.
func (n *Node) openNotices() {
	var remote notices.Remote
	switch {
	case n.isCentral():
		remote = centralNotices{n: n}
	case len(n.digitalCentrals()) > 0:
		remote = branchNotices{n: n}
	}
	n.notices = notices.New(n.svc, notices.Config{Node: n.id.NodeHex, Sender: n.cfg.NoticeSender, Remote: remote,
		Logger: n.lg.With("subsystem", "notices"), Count: n.noticeCounter(), ClaimLease: n.cfg.NoticeClaimLease,
		Suggester: recommend.ReadingList{}})
}

// noticeCounter registers stacks_notices_total{event,kind,channel} with the
// node's metrics and answers what the engine calls on each event: a
// notice sent, failed (for good), opened, clicked or bounced (as seen by
// this node: sum them over the nodes).
func (n *Node) noticeCounter() func(event, kind, channel string) {
	if n.metrics == nil {
		return nil
	}
	cv := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stacks_notices_total",
		Help: "Notices by event (sent, failed, opened, clicked, bounced, posted), kind and channel, as seen by this node."},
		[]string{"event", "kind", "channel"})
	if err := n.metrics.reg.Register(cv); err != nil {
		n.lg.Warn("notice metrics", "err", err)
		return nil
	}
	return func(event, kind, channel string) { cv.WithLabelValues(event, kind, channel).Inc() }
}

// Notices is the node's notice engine.
func (n *Node) Notices() *notices.Engine { return n.notices }

// setNoticesDecider registers central's decider of notice claims.
func (n *Node) setNoticesDecider() {
	n.central.SetDecider(noticesDecider, func(ctx context.Context, d *central.Decision) ([]byte, error) {
		return notices.Decide(ctx, d.Tx, d.Time(), d.Payload, func(ctx context.Context, kind string, p any, actor, channel string) error {
			_, err := d.Emit(ctx, kind, p, actor, channel)
			return err
		})
	})
}

// centralNotices claims a central node's notices through Raft.
type centralNotices struct{ n *Node }

func (c centralNotices) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	out, _, err := c.n.central.Decide(ctx, noticesDecider, req)
	return out, nil, err
}

// branchNotices sends a branch's claims to central, each central node in
// turn.
type branchNotices struct{ n *Node }

func (b branchNotices) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	doer := b.n.digitalDoer()
	var errs []error
	for _, base := range b.n.digitalCentrals() {
		out, ops, err := askCentralAt(ctx, doer, base, noticesPath, req)
		if err == nil {
			return out, ops, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", base, err))
	}
	return nil, nil, errors.Join(append([]error{errNoCentral}, errs...)...)
}

// noticesLoop evaluates the notices every NoticeInterval (a minute) on a
// node with a Sender. Sending runs here, apart from circulation: a relay
// that is down delays notices, never a checkout.
func (n *Node) noticesLoop(ctx context.Context) {
	t, tick := n.cfg.Clock.NewTicker(n.cfg.NoticeInterval)
	defer t.Stop()
	actor := domain.WithActor(ctx, domain.Actor{ID: "notices", Role: domain.RoleAdmin, Channel: domain.ChannelEmail})
	var warned time.Time
	for {
		st, err := n.notices.Step(actor)
		switch {
		case err != nil && ctx.Err() == nil:
			n.lg.Warn("notice run failed", "err", err)
		case st.Unclaimable > 0 && n.cfg.Clock.Now().Sub(warned) > time.Hour:
			warned = n.cfg.Clock.Now()
			n.lg.Warn("notices waiting: the central site cannot be reached to claim them", "due", st.Due)
		case st.Sent+st.Failed+st.Dropped+st.Unknown+st.TakenOver > 0:
			n.lg.Info("notices", "sent", st.Sent, "failed", st.Failed, "dropped", st.Dropped, "unknown", st.Unknown, "retried", st.Retried,
				"taken_over", st.TakenOver)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}
