package simulations

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"time"

	"stacks/branch/digital"
	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/central"
)

// Digital lending in the simulation: after the day is healed and checked,
// patrons at every branch borrow, return, renew and reserve e-books whose
// few licences they race for. Every request is decided by the central
// replicas' real state machine (decide entries through the Raft model),
// reached through a replica drawn at random (a follower forwards to the
// leader), while leaders crash in mid-proposal; the branch integrates the
// decision's ops at once. After every decision and at the end, on every
// replica and branch: never more running digital loans than licences.
//
// The phase has its own random stream and counters and runs after the
// day's figures are taken, so the rest of the summary is what it was
// without it.

// digitalDecider names the state machine's decider of digital requests,
// as node registers it.
const digitalDecider = "digital"

func decideDigital(ctx context.Context, d *central.Decision) ([]byte, error) {
	return digital.Decide(ctx, d.Tx, d.Time(), time.UTC, d.Payload, func(ctx context.Context, kind string, p any, actor, channel string) error {
		_, err := d.Emit(ctx, kind, p, actor, channel)
		return err
	})
}

// DigitalStats counts the digital lending phase.
type DigitalStats struct {
	Requests, Granted, Filled, Ended, Holds, Returned, Renewed int
	Refused, Unavailable                                       int
	// MostOnLoan is the most loans running at once against Places.
	MostOnLoan, Places int
	Faults             map[string]int
}

func (d DigitalStats) line() string {
	if d.Requests == 0 {
		return ""
	}
	return fmt.Sprintf("  digital: %d requests: %d lent, %d from queues, %d ended at due, %d holds, %d returned, %d renewed, %d refused, %d unavailable (central unreachable); most on loan %d of %d places; faults %s\n",
		d.Requests, d.Granted, d.Filled, d.Ended, d.Holds, d.Returned, d.Renewed, d.Refused, d.Unavailable, d.MostOnLoan, d.Places, fmtCounts(d.Faults))
}

// simDigital is a digital Remote that reaches the central model through
// one of its replicas, drawn at random.
type simDigital struct {
	s *sim
	r *rand.Rand
}

func (sd simDigital) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	c := sd.s.central
	at := c.reps[sd.r.IntN(len(c.reps))]
	if !at.isUp {
		return nil, nil, errReplicaDown
	}
	res, err := c.propose(at, central.DecideEntry(digitalDecider, at.ol.Clock().Now(), req))
	if err == nil {
		err = res.Err
	}
	if err != nil {
		return nil, nil, err
	}
	return res.Result, res.Ops, nil
}

func (s *sim) digitalPhase() {
	c := s.central
	saved := maps.Clone(s.res.Faults)
	d := &s.res.Digital
	defer func() {
		d.Faults = map[string]int{}
		for k, v := range s.res.Faults {
			if v > saved[k] {
				d.Faults[k] = v - saved[k]
			}
		}
		s.res.Faults = saved
	}()
	r := rand.New(rand.NewPCG(s.cfg.Seed, 0xd161))
	ctx := domain.WithActor(s.ctx, domain.Actor{ID: "central-it", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
	lead := func() *centralReplica {
		for k := 0; k < 100 && c.leader() == nil; k++ {
			s.now = s.now.Add(time.Minute)
			c.tick()
		}
		return c.leader()
	}
	if lead() == nil {
		s.fail("digital: no central leader")
		return
	}
	var titles []string
	places := 0
	err := func() error {
		if err := c.leader().svc.SetRule(ctx, domain.Rule{BranchID: "*", Category: "*", ItemType: "EBOOK", LoanDays: 1, Renewals: 1,
			MaxLoans: 3, HoldsAllowed: true}); err != nil {
			return err
		}
		for k := range 3 {
			base := r.IntN(2)
			b, err := c.leader().svc.AddBiblio(ctx, domain.NewBiblio{Title: fmt.Sprintf("E-book %d", k+1), Format: "ebook", Licences: base})
			if err != nil {
				return err
			}
			titles = append(titles, b.BiblioID)
			places += base
		}
		return nil
	}()
	if err != nil {
		s.fail("digital: setting up at central: %v", err)
		return
	}
	// Each branch lends through its own digital service, whose requests go
	// to central.
	var svcs []*digital.Service
	for _, n := range s.nodes {
		var seed [32]byte
		for i := range seed {
			seed[i] = byte(r.Uint32())
		}
		var remote digital.Remote = simDigital{s: s, r: r}
		if s.cfg.PlantBug == "digital-branch-grants" {
			remote = nil // the branch decides alone
		}
		svcs = append(svcs, digital.NewService(n.svc, remote, chacha{rand.NewChaCha8(seed)}))
	}
	// Licences bought: metered by loans or by date, some for two users.
	for _, t := range titles {
		nl := domain.NewLicence{BiblioID: t, Copies: 1 + r.IntN(2), Users: 1 + r.IntN(2)}
		switch r.IntN(3) {
		case 0:
			nl.MaxLoans = 2 + r.IntN(4)
		case 1:
			nl.ExpiresOn = s.now.AddDate(0, 0, 2+r.IntN(6)).Format(domain.DateLayout)
		}
		for k := 0; k < 5; k++ {
			res, err := svcs[r.IntN(len(svcs))].AddLicence(ctx, nl)
			if err == nil {
				places += res.Licence.Capacity()
				break
			}
			lead()
		}
	}
	d.Places = places
	// Every branch knows the catalogue and the licences (as sync brings
	// them); none decides from it.
	for _, n := range s.nodes {
		if err := s.takeCentralOps(n); err != nil {
			s.fail("digital: %s takes central's ops: %v", n.branch, err)
		}
	}
	requests := 150 * s.cfg.Branches
	for k := 0; k < requests; k++ {
		if k%40 == 39 {
			s.now = s.now.Add(12 * time.Hour) // loans run out; the clock alone, so no sync loop fires
		}
		if r.IntN(50) == 0 {
			c.crashLeaderNext = true
		}
		i := r.IntN(len(s.nodes))
		n := s.nodes[i]
		if !n.isUp {
			continue
		}
		dig := svcs[i]
		card := s.cards[r.IntN(len(s.cards))]
		title := titles[r.IntN(len(titles))]
		desk := domain.WithActor(s.ctx, domain.Actor{ID: "desk@" + n.branch, Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
		d.Requests++
		var res *domain.DigitalResult
		var err error
		switch x := r.IntN(100); {
		case x < 45:
			if res, err = dig.Borrow(desk, domain.DigitalRequest{Cardnumber: card, BiblioID: title}, "en"); err == nil {
				d.Granted++
			}
		case x < 60:
			if res, err = dig.PlaceHold(desk, domain.DigitalRequest{Cardnumber: card, BiblioID: title}, "fi"); err == nil {
				d.Holds++
			}
		case x < 78:
			loans, qerr := s.openDigitalLoans()
			if qerr != nil || len(loans) == 0 {
				d.Requests--
				continue
			}
			id := loans[r.IntN(len(loans))]
			if x < 70 {
				if res, err = dig.Return(desk, domain.DigitalRequest{LoanID: id}, "en"); err == nil {
					d.Returned++
				}
			} else if res, err = dig.Renew(desk, domain.DigitalRequest{LoanID: id}, "en"); err == nil {
				d.Renewed++
			}
		default:
			if res, err = dig.Sweep(desk); err == nil {
				d.Ended += len(res.Returned)
			}
		}
		var de *domain.Error
		switch {
		case err == nil:
			d.Filled += len(res.Filled)
		case errors.As(err, &de) && de.Code == domain.CodeDigitalOffline:
			d.Unavailable++
		case errors.As(err, &de):
			d.Refused++
		default:
			s.fail("digital: %v", err)
		}
		s.now = s.now.Add(time.Minute)
		c.tick()
		s.checkDigital(false)
	}
	// Heal: a leader, every replica up and applied; every branch takes
	// central's ops; all hold the same digital state.
	for k := 0; k < 200; k++ {
		s.now = s.now.Add(time.Minute)
		c.tick()
		up, same := true, true
		for _, rep := range c.reps {
			up = up && rep.isUp
			same = same && rep.isUp && c.reps[0].isUp && rep.sm.Applied() == c.reps[0].sm.Applied()
		}
		if up && same && c.leader() != nil {
			break
		}
	}
	l := c.leader()
	if l == nil {
		s.fail("digital: no leader after healing")
		return
	}
	want, err := replicate.StateHash(s.ctx, l.db.Read(), digital.StateTables)
	if err != nil {
		s.fail("digital: %v", err)
		return
	}
	for _, rep := range c.reps {
		if h, _ := replicate.StateHash(s.ctx, rep.db.Read(), digital.StateTables); h != want {
			s.fail("digital: central %s's digital state differs from the leader's", rep.label)
		}
	}
	for _, n := range s.nodes {
		if err := s.takeCentralOps(n); err != nil {
			s.fail("digital: %s takes central's ops: %v", n.branch, err)
		}
	}
	// The branches take each other's ops (as sync would), then all hold
	// central's digital state: a branch never decides digital lending.
	for _, n := range s.nodes {
		for _, m := range s.nodes {
			if m == n {
				continue
			}
			vv, err := n.log.VersionVector(s.ctx)
			if err == nil {
				var ops []replicate.Op
				if ops, err = m.log.Ops(s.ctx, vv, 0); err == nil {
					_, err = n.log.Integrate(s.ctx, ops)
				}
			}
			if err != nil {
				s.fail("digital: %s takes %s's ops: %v", n.branch, m.branch, err)
			}
		}
	}
	for _, n := range s.nodes {
		if h, _ := replicate.StateHash(s.ctx, n.db.Read(), digital.StateTables); h != want {
			s.fail("digital: %s's digital state differs from central's", n.branch)
		}
	}
	s.checkDigital(true)
}

// takeCentralOps gives branch n the ops of the central leader (or of a
// replica up) that it lacks, as a sync would.
func (s *sim) takeCentralOps(n *simNode) error {
	var from *centralReplica
	for _, rep := range s.central.reps {
		if rep.isUp && (from == nil || rep.leader) {
			from = rep
		}
	}
	if from == nil {
		return errReplicaDown
	}
	vv, err := n.log.VersionVector(s.ctx)
	if err != nil {
		return err
	}
	ops, err := from.ol.Ops(s.ctx, vv, 0)
	if err != nil {
		return err
	}
	_, err = n.log.Integrate(s.ctx, ops)
	return err
}

// openDigitalLoans are the running digital loans, as the leader (or any
// replica up) knows them.
func (s *sim) openDigitalLoans() ([]string, error) {
	for _, rep := range s.central.reps {
		if rep.isUp {
			return queryIDs(s.ctx, rep.db.Read(), `SELECT loan_id FROM digital_loans WHERE returned_at='' AND granted_at<>'' ORDER BY loan_id`)
		}
	}
	return nil, nil
}

// checkDigital: never more running digital loans than licences, on every
// central replica up (where they are decided) and, with branches, on every
// branch (once it holds central's ops: before, a branch may know a grant
// it forwarded but not a return made elsewhere).
func (s *sim) checkDigital(branches bool) {
	check := func(name string, q replicate.Querier) {
		bad, err := digital.ActiveOverCapacity(s.ctx, q)
		if err != nil {
			s.fail("digital: %s: %v", name, err)
		}
		for _, b := range bad {
			s.fail("digital: %s: %s", name, b)
		}
		var n int
		q.QueryRowContext(s.ctx, `SELECT count(*) FROM digital_loans WHERE returned_at='' AND granted_at<>''`).Scan(&n)
		if !branches {
			s.res.Digital.MostOnLoan = max(s.res.Digital.MostOnLoan, n)
		}
	}
	for _, rep := range s.central.reps {
		if rep.isUp {
			check(rep.label, rep.db.Read())
		}
	}
	if !branches {
		return
	}
	for _, n := range s.nodes {
		if n.isUp {
			check(n.branch, n.db.Read())
		}
	}
}

func queryIDs(ctx context.Context, q replicate.Querier, query string) ([]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
