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

// demoEvents are the demo library's events: days from today, hour, length
// in hours, and the rest.
var demoEvents = []struct {
	days, hour, hours int
	ne                domain.NewEvent
	registrations     int
}{
	{1, 10, 1, domain.NewEvent{Title: "Story time for little ones", Description: "Picture books, songs and rhymes for children under five and their grown-ups.",
		Audience: "children", LibraryID: "MAIN", Room: "Children's corner", Capacity: 12}, 9},
	{2, 17, 2, domain.NewEvent{Title: "Lego club", Description: "Build, swap and show. Bricks provided.", Audience: "children", LibraryID: "EAST",
		Room: "Activity room", Capacity: 4}, 5},
	{3, 18, 2, domain.NewEvent{Title: "Author visit: writing the north", Description: "A reading and a conversation, with questions from the floor.",
		Audience: "adults", LibraryID: "MAIN", Room: "Auditorium", Capacity: 40}, 6},
	{5, 15, 2, domain.NewEvent{Title: "Digital help drop-in", Description: "Bring your phone or laptop: e-books, the library app, e-mail.",
		Audience: "adults", LibraryID: "WEST", Room: "Study room 2", DropIn: true}, 0},
	{8, 16, 1, domain.NewEvent{Title: "Teen book club", Description: "This month: a graphic novel of your choice.", Audience: "teens",
		LibraryID: "NORTH", Room: "Meeting room", Capacity: 10}, 3},
}

// loadDemoEvents gives the demo library a few events in the coming days,
// some with registrations (and a full one with a waitlist).
func (n *Node) loadDemoEvents(ctx context.Context) error {
	actor := domain.WithActor(ctx, domain.Actor{ID: "demo", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	rows, err := n.svc.Read().QueryContext(ctx, `SELECT patron_id FROM patrons ORDER BY cardnumber LIMIT 20`)
	if err != nil {
		return err
	}
	var patrons []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		patrons = append(patrons, id)
	}
	rows.Close()
	now := n.cfg.Clock.Now().In(n.cfg.Location)
	for _, d := range demoEvents {
		day := time.Date(now.Year(), now.Month(), now.Day(), d.hour, 0, 0, 0, n.cfg.Location).AddDate(0, 0, d.days)
		ne := d.ne
		ne.Start, ne.End = day.Format(time.RFC3339), day.Add(time.Duration(d.hours)*time.Hour).Format(time.RFC3339)
		e, err := n.events.Create(actor, ne)
		if err != nil {
			return fmt.Errorf("demo event %q: %w", ne.Title, err)
		}
		for i := 0; i < d.registrations && i < len(patrons) && n.digital.Standalone(); i++ {
			if _, err := n.events.Register(actor, e.EventID, domain.EventRegistrationRequest{PatronID: patrons[i], GuestCount: i % 2}, "en"); err != nil {
				return fmt.Errorf("demo registration: %w", err)
			}
		}
	}
	return nil
}

// DemoEventTitles are the titles of the demo library's events.
func DemoEventTitles() []string {
	var out []string
	for _, d := range demoEvents {
		out = append(out, d.ne.Title)
	}
	return out
}

// SIP2Tickets lets the kiosk's ACS check event tickets in
// (hardware/sip2's EventTickets).
type SIP2Tickets struct{ E *events.Service }

// IsTicket reports whether s is shaped like an event ticket.
func (t SIP2Tickets) IsTicket(s string) bool { return events.IsTicket(s) }

// CheckinTicket checks a ticket in for whichever event it is for.
func (t SIP2Tickets) CheckinTicket(ctx context.Context, ticket string) (string, bool, error) {
	c, err := t.E.Checkin(ctx, "", ticket)
	if err != nil {
		return "", false, err
	}
	title := ""
	if c.Registration.Event != nil {
		title = c.Registration.Event.Title
	}
	return title, c.Already, nil
}
