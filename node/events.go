package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/replicate"
	"stacks/replicate/central"
)

// Events' wiring, as digital lending's (digital.go). An event's seats are
// held in escrow by accounts: a standalone appliance holds its events'
// seats itself; in a cluster they start in central's account, which only
// central's Raft state machine (decider "events") takes from, and a branch
// with too few seats asks central for more (POST /central/v1/events)
// before it waitlists a patron. Each node promotes waitlists from the
// seats it holds, in a loop, so a seat freed elsewhere reaches the next
// patron once its op arrives.

const (
	eventsDecider = "events"
	eventsPath    = "/central/v1/events"
)

// openEvents makes the node's events service.
func (n *Node) openEvents() {
	cfg := events.Config{Rand: n.cfg.Rand}
	switch {
	case n.isCentral():
		cfg.Remote, cfg.Central = centralEvents{n: n}, true
	case len(n.digitalCentrals()) > 0:
		cfg.Remote = branchEvents{n: n}
	}
	n.events = events.NewService(n.svc, cfg)
}

// Events is the node's events and programmes.
func (n *Node) Events() *events.Service { return n.events }

// setEventsDecider registers central's decider of seat requests.
func (n *Node) setEventsDecider() {
	n.central.SetDecider(eventsDecider, func(ctx context.Context, d *central.Decision) ([]byte, error) {
		return events.Decide(ctx, d.Tx, d.Time(), d.Payload, func(ctx context.Context, kind string, p any, actor, channel string) error {
			_, err := d.Emit(ctx, kind, p, actor, channel)
			return err
		})
	})
}

type centralEvents struct{ n *Node }

func (c centralEvents) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	out, _, err := c.n.central.Decide(ctx, eventsDecider, req)
	return out, nil, err
}

// branchEvents asks central, each central node in turn.
type branchEvents struct{ n *Node }

func (b branchEvents) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	doer := b.n.digitalDoer()
	var errs []error
	for _, base := range b.n.digitalCentrals() {
		out, ops, err := askCentralAt(ctx, doer, base, eventsPath, req)
		if err == nil {
			return out, ops, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", base, err))
	}
	return nil, nil, errors.Join(append([]error{errNoCentral}, errs...)...)
}

// promoteEvents gives seats this node holds to waitlists, now and then
// (on central, on the leader only).
func (n *Node) promoteEvents(ctx context.Context) {
	every := 30 * time.Second
	if n.cfg.SyncInterval > 0 && n.cfg.SyncInterval < every {
		every = n.cfg.SyncInterval
	}
	t, tick := n.cfg.Clock.NewTicker(every)
	defer t.Stop()
	for {
		if !n.isCentral() || n.central.IsLeader() {
			actor := domain.WithActor(ctx, domain.Actor{ID: "events-waitlist", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
			if ids, err := n.events.PromoteAll(actor); err != nil && ctx.Err() == nil {
				n.lg.Warn("event waitlist promotion failed", "err", err)
			} else if len(ids) > 0 {
				n.lg.Info("event waitlists moved up", "promoted", len(ids))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}
