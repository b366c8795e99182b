package simulations

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/replicate"
	"stacks/replicate/central"
)

// Events in the simulation: after the notices phase, each branch runs
// events through its own service, whose seat requests go to the central
// model's Raft log (decider "events"). One event is created at central
// (its seats in central's account); patrons register (with guests), cancel
// and get promoted at random branches, while branches lose central and
// each other at random and merge in pairs now and then. Checked after
// every step on the node that acted and at the end on every replica:
// seats taken never exceed capacity; no seat acknowledged to a patron is
// taken back by a merge; after healing every replica holds the same
// events state and the same waitlist order.

const eventsDecider = "events"

func decideEvents(ctx context.Context, d *central.Decision) ([]byte, error) {
	return events.Decide(ctx, d.Tx, d.Time(), d.Payload, func(ctx context.Context, kind string, p any, actor, channel string) error {
		_, err := d.Emit(ctx, kind, p, actor, channel)
		return err
	})
}

// EventsBugs are bugs the simulation can plant in events: events-oversell
// lets a node confirm a seat without checking its own share.
var EventsBugs = []string{"events-oversell"}

// EventsStats counts the events phase.
type EventsStats struct {
	Requests, Registered, Waitlisted, Offline, Cancelled, Promoted, Refused int
	Capacity, Taken, Waiting                                                int
}

func (e EventsStats) line() string {
	if e.Requests == 0 {
		return ""
	}
	return fmt.Sprintf("  events: %d requests: %d registered, %d waitlisted (%d with central unreachable), %d cancelled, %d promoted, %d refused; at the end %d of %d seats taken, %d waiting\n",
		e.Requests, e.Registered, e.Waitlisted, e.Offline, e.Cancelled, e.Promoted, e.Refused, e.Taken, e.Capacity, e.Waiting)
}

// simEvents reaches the central model, unless the branch is cut off.
type simEvents struct {
	s    *sim
	r    *rand.Rand
	down *bool
}

func (se simEvents) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	if *se.down {
		return nil, nil, errReplicaDown
	}
	c := se.s.central
	at := c.reps[se.r.IntN(len(c.reps))]
	if !at.isUp {
		return nil, nil, errReplicaDown
	}
	res, err := c.propose(at, central.DecideEntry(eventsDecider, at.ol.Clock().Now(), req))
	if err == nil {
		err = res.Err
	}
	if err != nil {
		return nil, nil, err
	}
	return res.Result, res.Ops, nil
}

// pushToCentral gives the central leader the ops of branch n it lacks, as
// a push would.
func (s *sim) pushToCentral(n *simNode) error {
	l := s.central.leader()
	if l == nil {
		return errNoLeader
	}
	vv, err := l.ol.VersionVector(s.ctx)
	if err != nil {
		return err
	}
	ops, err := n.log.Ops(s.ctx, vv, 0)
	if err != nil || len(ops) == 0 {
		return err
	}
	_, err = l.ol.Integrate(s.ctx, ops)
	return err
}

func (s *sim) exchange(from, to *simNode) error {
	vv, err := to.log.VersionVector(s.ctx)
	if err != nil {
		return err
	}
	ops, err := from.log.Ops(s.ctx, vv, 0)
	if err != nil {
		return err
	}
	_, err = to.log.Integrate(s.ctx, ops)
	return err
}

// exchangeRounds has every node of ns pull from every other, in two
// rounds of pairs in an order shuffled by r; a failed exchange is a
// failure of the phase named what.
func (s *sim) exchangeRounds(r *rand.Rand, ns []*simNode, what string) {
	for k := 0; k < 2; k++ {
		var pairs [][2]*simNode
		for _, a := range ns {
			for _, b := range ns {
				if a != b {
					pairs = append(pairs, [2]*simNode{a, b})
				}
			}
		}
		r.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
		for _, p := range pairs {
			if err := s.exchange(p[0], p[1]); err != nil {
				s.fail("%s: %s -> %s: %v", what, p[0].branch, p[1].branch, err)
			}
		}
	}
}

func (s *sim) eventsPhase() {
	c := s.central
	st := &s.res.Events
	r := rand.New(rand.NewPCG(s.cfg.Seed, 0xe7e7))
	ctx := domain.WithActor(s.ctx, domain.Actor{ID: "central-it", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
	for k := 0; k < 100 && c.leader() == nil; k++ {
		s.now = s.now.Add(time.Minute)
		c.tick()
	}
	if c.leader() == nil {
		s.fail("events: no central leader")
		return
	}
	down := make([]bool, len(s.nodes))
	var svcs []*events.Service
	for i, n := range s.nodes {
		var seed [32]byte
		for k := range seed {
			seed[k] = byte(r.Uint32())
		}
		svcs = append(svcs, events.NewService(n.svc, events.Config{Remote: simEvents{s: s, r: r, down: &down[i]},
			Rand: chacha{rand.NewChaCha8(seed)}, PlantOversell: s.cfg.PlantBug == "events-oversell"}))
	}
	never := false
	capacity := 4 + r.IntN(6)
	start := s.now.Add(30 * 24 * time.Hour)
	var ev *domain.Event
	var err error
	for k := 0; k < 5; k++ {
		l := c.leader()
		if l == nil || !l.isUp {
			s.now = s.now.Add(time.Minute)
			c.tick()
			continue
		}
		creator := events.NewService(l.svc, events.Config{Remote: simEvents{s: s, r: r, down: &never}})
		if ev, err = creator.Create(ctx, domain.NewEvent{Title: "Author visit", LibraryID: s.branchID(0), Start: start.Format(time.RFC3339),
			End: start.Add(time.Hour).Format(time.RFC3339), Capacity: capacity}); err == nil {
			break
		}
		s.now = s.now.Add(time.Minute)
		c.tick()
	}
	if err != nil {
		s.fail("events: create at central: %v", err)
		return
	}
	st.Capacity = capacity
	for _, n := range s.nodes {
		if err := s.takeCentralOps(n); err != nil {
			s.fail("events: %s takes central's ops: %v", n.branch, err)
		}
	}
	acked := map[string]bool{}
	check := func(name string, q replicate.Querier) bool {
		bad, err := events.Overbooked(s.ctx, q)
		if err != nil {
			s.fail("events: %s: %v", name, err)
			return false
		}
		if len(bad) > 0 {
			s.fail("events: %s oversold: %v", name, bad)
			return false
		}
		return true
	}
	steps := 80 * len(s.nodes)
	for k := 0; k < steps; k++ {
		if k%15 == 0 {
			i := r.IntN(len(down))
			down[i] = !down[i]
		}
		i := r.IntN(len(s.nodes))
		n, ev2 := s.nodes[i], svcs[i]
		if !n.isUp {
			continue
		}
		desk := domain.WithActor(s.ctx, domain.Actor{ID: "desk@" + n.branch, Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
		switch x := r.IntN(100); {
		case x < 50:
			st.Requests++
			card := s.cards[r.IntN(len(s.cards))]
			reg, err := ev2.Register(desk, ev.EventID, domain.EventRegistrationRequest{Cardnumber: card, GuestCount: max(r.IntN(4)-1, 0)}, "en")
			switch {
			case err != nil:
				st.Refused++
			case reg.Status == domain.EventRegistered:
				st.Registered++
				acked[reg.RegistrationID] = true
			default:
				st.Waitlisted++
				if down[i] {
					st.Offline++
				}
			}
		case x < 62:
			ids, err := queryIDs(s.ctx, n.db.Read(), `SELECT registration_id FROM event_registrations WHERE cancelled_at='' AND event_id<>'' ORDER BY registration_id`)
			if err != nil || len(ids) == 0 {
				continue
			}
			st.Requests++
			id := ids[r.IntN(len(ids))]
			if _, err := ev2.Unregister(desk, ev.EventID, id); err == nil {
				st.Cancelled++
				delete(acked, id)
			}
		case x < 75:
			st.Requests++
			ids, _ := ev2.PromoteAll(desk)
			st.Promoted += len(ids)
			for _, id := range ids {
				acked[id] = true
			}
		case x < 88:
			m := s.nodes[r.IntN(len(s.nodes))]
			if m != n && m.isUp {
				if err := s.exchange(m, n); err != nil {
					s.fail("events: %s takes %s's ops: %v", n.branch, m.branch, err)
				}
			}
		default:
			if !down[i] {
				s.pushToCentral(n)
				s.takeCentralOps(n)
			}
		}
		s.now = s.now.Add(time.Minute)
		c.tick()
		if !check(n.branch, n.db.Read()) {
			return
		}
	}
	// Heal: every branch reaches central and every other branch.
	for k := 0; k < 200; k++ {
		s.now = s.now.Add(time.Minute)
		c.tick()
		if l := c.leader(); l != nil && l.isUp {
			break
		}
	}
	for round := 0; round < 2; round++ {
		for _, n := range s.nodes {
			if err := s.pushToCentral(n); err != nil {
				s.fail("events: %s pushes to central: %v", n.branch, err)
			}
		}
		for _, n := range s.nodes {
			if err := s.takeCentralOps(n); err != nil {
				s.fail("events: %s takes central's ops: %v", n.branch, err)
			}
			for _, m := range s.nodes {
				if m != n {
					if err := s.exchange(m, n); err != nil {
						s.fail("events: %s takes %s's ops: %v", n.branch, m.branch, err)
					}
				}
			}
		}
	}
	l := c.leader()
	if l == nil {
		s.fail("events: no leader after healing")
		return
	}
	if !check("central", l.db.Read()) {
		return
	}
	want, _ := replicate.StateHash(s.ctx, l.db.Read(), events.StateTables)
	wantWL, _ := queryIDs(s.ctx, l.db.Read(), waitlistSQL(ev.EventID))
	for _, n := range s.nodes {
		if !check(n.branch, n.db.Read()) {
			return
		}
		if h, _ := replicate.StateHash(s.ctx, n.db.Read(), events.StateTables); h != want {
			s.fail("events: %s's events state differs from central's", n.branch)
		}
		if wl, _ := queryIDs(s.ctx, n.db.Read(), waitlistSQL(ev.EventID)); !slices.Equal(wl, wantWL) {
			s.fail("events: %s's waitlist order differs from central's", n.branch)
		}
	}
	for id := range acked {
		var cancelled string
		var seated bool
		err := l.db.Read().QueryRowContext(s.ctx, `SELECT cancelled_at, EXISTS (SELECT 1 FROM event_debits d WHERE d.registration_id=r.registration_id)
			FROM event_registrations r WHERE registration_id=?`, id).Scan(&cancelled, &seated)
		if err != nil || (cancelled == "" && !seated) {
			s.fail("events: acknowledged seat %s taken back (%v)", id, err)
		}
	}
	e, err := events.NewService(l.svc, events.Config{Remote: simEvents{s: s, r: r, down: &never}}).Event(s.ctx, ev.EventID)
	if err == nil {
		st.Taken, st.Waiting = e.SeatsTaken, e.Waitlisted
	}
}

// waitlistSQL is an event's waitlist in promotion order.
func waitlistSQL(eventID string) string {
	return fmt.Sprintf(`SELECT registration_id FROM event_registrations r WHERE event_id='%s' AND cancelled_at=''
	AND NOT EXISTS (SELECT 1 FROM event_debits d WHERE d.registration_id=r.registration_id) ORDER BY stamp, registration_id`,
		strings.ReplaceAll(eventID, "'", "''"))
}
