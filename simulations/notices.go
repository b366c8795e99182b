package simulations

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/replicate"
	"stacks/replicate/central"
)

// Notices in the simulation: after digital lending, the library's loans
// run on for twenty days, so pre-due, due-today and overdue notices (and the
// welcomes) fall due on every branch and at central. Every branch and one
// central replica run the real notice engine against their own state and
// race to claim each notice through the central replicas' real state
// machine (decider "notices", through the Raft model, at a replica drawn
// at random), while branches are cut off from central and heal, leaders
// crash in mid-proposal, node clocks are skewed by up to 90 minutes, and
// engines die in the middle of a send (the message went, its outcome was
// never recorded) and start again. Invariants: a notice is sent at most
// once, always (across channels and nodes); and within an hour of
// healing, no node finds a notice due that was not claimed.
//
// Like the digital phase it has its own random stream and counters and
// runs after the day's figures are taken.

// noticesDecider names the state machine's decider of notice claims, as
// node registers it.
const noticesDecider = "notices"

func decideNotices(ctx context.Context, d *central.Decision) ([]byte, error) {
	return notices.Decide(ctx, d.Tx, d.Time(), d.Payload, func(ctx context.Context, kind string, p any, actor, channel string) error {
		_, err := d.Emit(ctx, kind, p, actor, channel)
		return err
	})
}

// NoticesBugs are bugs the simulation can plant in the notice engine:
// notices-unclaimed sends what a node finds due without the claim, as two
// overlapping Koha runs do.
// notices-no-takeover never takes over a dead node's claims (no lease).
var NoticesBugs = []string{"notices-unclaimed", "notices-no-takeover"}

// NoticesStats counts the notices phase.
type NoticesStats struct {
	Runs, Sent, Unknown, Dropped, CutOff, Crashes int
	// TakenOver counts notices taken over after the lease from the node
	// that claimed them and died for good.
	TakenOver int
	Faults    map[string]int
}

func (n NoticesStats) line() string {
	if n.Runs == 0 {
		return ""
	}
	return fmt.Sprintf("  notices: %d runs, %d sent, %d unknown (engines died mid-send), %d dropped at the re-check, %d runs cut off from central, %d taken over from a dead node; faults %s\n",
		n.Runs, n.Sent, n.Unknown, n.Dropped, n.CutOff, n.TakenOver, fmtCounts(n.Faults))
}

// simNotices claims through the central model at a replica drawn at
// random; a branch cut off from central reaches none.
type simNotices struct {
	s   *sim
	r   *rand.Rand
	cut *bool
	at  *centralReplica // nil: drawn at random
}

func (sn simNotices) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	if sn.cut != nil && *sn.cut {
		return nil, nil, errReplicaDown
	}
	c := sn.s.central
	at := sn.at
	if at == nil {
		at = c.reps[sn.r.IntN(len(c.reps))]
	}
	if !at.isUp {
		return nil, nil, errReplicaDown
	}
	res, err := c.propose(at, central.DecideEntry(noticesDecider, at.ol.Clock().Now(), req))
	if err == nil {
		err = res.Err
	}
	if err != nil {
		return nil, nil, err
	}
	return res.Result, res.Ops, nil
}

// sendLog is the channel every engine sends through: what went, by key.
type sendLog struct {
	s     *sim
	sent  map[string]int // key -> sends
	bases map[string]int // notice (kind:subject:occurrence) -> sends
	// crash, when set, makes the next Send "kill" its engine: the message
	// goes, then the engine's context ends before the outcome is recorded.
	crash  bool
	cancel context.CancelFunc
}

func (l *sendLog) Send(_ context.Context, m notices.Message) error {
	l.sent[m.Key]++
	base := m.Key[:len(m.Key)-len(m.Channel)-1]
	l.bases[base]++
	if l.bases[base] > 1 {
		l.s.fail("notices: %s sent %d times", base, l.bases[base])
	}
	for _, p := range m.Parts {
		l.Send(context.Background(), p)
	}
	if l.crash && l.cancel != nil {
		l.crash = false
		l.cancel()
	}
	return nil
}

type noticeRunner struct {
	name string
	node string // the engine's node ID
	svc  *branch.Service
	eng  *notices.Engine
	cut  bool
	// dead: the node claimed, crashed before sending and never came back.
	dead bool
	// make makes the engine anew (after a crash)
	make func() *notices.Engine
	// down reports that the node itself went down during a run (a central
	// replica that crashed in a proposal).
	down func() bool
}

func (s *sim) noticesPhase() {
	c := s.central
	saved := maps.Clone(s.res.Faults)
	st := &s.res.Notices
	defer func() {
		st.Faults = map[string]int{}
		for k, v := range s.res.Faults {
			if v > saved[k] {
				st.Faults[k] = v - saved[k]
			}
		}
		s.res.Faults = saved
	}()
	r := rand.New(rand.NewPCG(s.cfg.Seed, 0x4071ce5))
	log := &sendLog{s: s, sent: map[string]int{}, bases: map[string]int{}}
	bug := s.cfg.PlantBug == "notices-unclaimed"
	lease := time.Duration(0) // the default
	if s.cfg.PlantBug == "notices-no-takeover" {
		lease = 1000 * 24 * time.Hour
	}
	for k := 0; k < 100 && c.leader() == nil; k++ {
		s.now = s.now.Add(time.Minute)
		c.tick()
	}
	l := c.leader()
	if l == nil {
		s.fail("notices: no central leader")
		return
	}
	// Patrons have email addresses (set at central), so notices go
	// through the channel rather than onto the print list.
	it := domain.WithActor(s.ctx, domain.Actor{ID: "central-it", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
	ids, err := queryIDs(s.ctx, l.db.Read(), `SELECT patron_id FROM patrons WHERE registered_at<>'' AND email='' ORDER BY patron_id`)
	if err != nil {
		s.fail("notices: %v", err)
		return
	}
	for _, id := range ids {
		email := id + "@example.org"
		for k := 0; k < 5; k++ {
			if c.leader() == nil {
				s.now = s.now.Add(time.Minute)
				c.tick()
				continue
			}
			if _, err := c.leader().svc.UpdatePatron(it, id, domain.PatronUpdate{Email: &email}); err == nil {
				break
			}
		}
	}
	for _, n := range s.nodes {
		if err := s.takeCentralOps(n); err != nil {
			s.fail("notices: %s takes central's ops: %v", n.branch, err)
		}
	}
	var runners []*noticeRunner
	for _, n := range s.nodes {
		rn := &noticeRunner{name: n.branch, node: fmt.Sprint(n.id), svc: n.svc}
		svc, node := n.svc, fmt.Sprint(n.id)
		rn.make = func() *notices.Engine {
			return notices.New(svc, notices.Config{Node: node, Sender: log, Remote: simNotices{s: s, r: r, cut: &rn.cut}, PlantDoubleSend: bug, ClaimLease: lease})
		}
		rn.eng = rn.make()
		runners = append(runners, rn)
		n.clock.skew = time.Duration(r.IntN(181)-90) * time.Minute
	}
	centralRunner := &noticeRunner{name: "central"}
	defer func() {
		for _, n := range s.nodes {
			n.clock.skew = 0
		}
	}()
	step := func(rn *noticeRunner, eng *notices.Engine) {
		ctx, cancel := context.WithCancel(domain.WithActor(s.ctx, domain.Actor{ID: "notices", Role: domain.RoleAdmin, Channel: domain.ChannelEmail}))
		defer cancel()
		log.crash, log.cancel = r.IntN(25) == 0, cancel
		res, err := eng.Step(ctx)
		log.cancel = nil
		st.Runs++
		st.TakenOver += res.TakenOver
		st.Sent += res.Sent
		st.Unknown += res.Unknown
		st.Dropped += res.Dropped
		if res.Unclaimable > 0 {
			st.CutOff++
		}
		if err != nil {
			// At central, the engine's own ops (outcomes) go through Raft:
			// with no leader, or its replica crashed under it, a run
			// stops, and what it was sending is found unknown at the next
			// run.
			if ctx.Err() == nil && (rn.down == nil || !rn.down()) && !errors.Is(err, errNoLeader) && !errors.Is(err, errReplicaDown) {
				s.fail("notices: %s: %v", rn.name, err)
			}
			st.Crashes++
			rn.eng = rn.make() // the engine starts again
		}
	}
	// One branch dies for good: at a run drawn at random it claims what
	// it finds due, and crashes before it starts sending any of it. Its
	// claims stay at central; another node must take them over once their
	// lease has run out, and send each once.
	doomed, dieAt := runners[r.IntN(len(runners))], r.IntN(30)
	runAll := func() {
		for _, rn := range runners {
			if rn.dead {
				continue
			}
			step(rn, rn.eng)
		}
		// One central replica's engine too (made anew each run: a replica
		// reopens its service when it restarts).
		rep := c.reps[0]
		centralRunner.down = func() bool { return !rep.isUp }
		if rep.isUp {
			svc := rep.svc
			centralRunner.node, centralRunner.svc = "central-0", svc
			centralRunner.make = func() *notices.Engine {
				return notices.New(svc, notices.Config{Node: "central-0", Sender: log, Remote: simNotices{s: s, r: r, at: rep}, PlantDoubleSend: bug, ClaimLease: lease})
			}
			step(centralRunner, centralRunner.make())
		}
		for _, n := range s.nodes {
			if err := s.takeCentralOps(n); err != nil && err != errReplicaDown {
				s.fail("notices: %s takes central's ops: %v", n.branch, err)
			}
		}
	}
	// Twenty days in runs every eight hours: the loans fall due and
	// overdue, to the third notice.
	for k := 0; k < 3*20; k++ {
		if k == dieAt {
			node, svc := doomed.node, doomed.svc
			doomed.eng = notices.New(svc, notices.Config{Node: node, Sender: log,
				Remote: dyingNotices{simNotices{s: s, r: r, cut: &doomed.cut}, doomed}, PlantDoubleSend: bug, ClaimLease: lease})
			// It runs first from now on, so it is the one that claims.
			i := slices.Index(runners, doomed)
			runners = append([]*noticeRunner{doomed}, slices.Delete(runners, i, i+1)...)
		}
		for _, rn := range runners {
			if r.IntN(8) == 0 {
				rn.cut = !rn.cut // cut off from central, or healed
			}
		}
		if r.IntN(10) == 0 {
			c.crashLeaderNext = true
		}
		runAll()
		s.now = s.now.Add(8 * time.Hour)
		c.tick()
	}
	// Heal: central led and up, every branch reaches it; within an hour
	// (runs a minute apart would do; every ten minutes here) nothing due
	// is left unclaimed anywhere.
	for _, rn := range runners {
		rn.cut = false
	}
	for k := 0; k < 300; k++ {
		up := c.leader() != nil
		for _, rep := range c.reps {
			up = up && rep.isUp
		}
		if up {
			break
		}
		s.now = s.now.Add(time.Minute)
		c.tick()
	}
	healed := s.now
	for s.now.Sub(healed) < time.Hour {
		runAll()
		s.now = s.now.Add(10 * time.Minute)
		c.tick()
	}
	for _, rn := range append(slices.Clone(runners), centralRunner) {
		if rn.make == nil || rn.dead {
			continue
		}
		due, err := rn.make().Evaluate(s.ctx)
		if err != nil {
			s.fail("notices: %s: %v", rn.name, err)
		} else if due > 0 {
			s.fail("notices: %s still finds %d notices due and unclaimed an hour after healing", rn.name, due)
		}
	}
	if !bug {
		s.checkNoticesStarted(append(slices.Clone(runners), centralRunner))
	}
}

// dyingNotices passes a doomed node's claims to central; at its first
// start (after a claim granted) the node crashes for good.
type dyingNotices struct {
	simNotices
	rn *noticeRunner
}

func (d dyingNotices) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	if d.rn.dead {
		return nil, nil, errReplicaDown
	}
	if bytes.Contains(req, []byte(`"start":`)) || bytes.Contains(req, []byte(`"takeover":`)) {
		d.rn.dead = true
		return nil, nil, errReplicaDown
	}
	return d.simNotices.Decide(ctx, req)
}

// checkNoticesStarted: an hour after healing, every notice claimed at
// central was started (sending, then sent or unknown, at central, which
// decides the starts) or was found no longer due by its claimer: none is
// left claimed, by a dead node or a live one, and never sent. With the
// check that nothing due is left unclaimed, every notice due was sent (or
// its outcome lost in a crash) within the hour.
func (s *sim) checkNoticesStarted(runners []*noticeRunner) {
	l := s.central.leader()
	if l == nil {
		s.fail("notices: no central leader to check the notices at")
		return
	}
	rows, err := l.db.Read().QueryContext(s.ctx, `SELECT notice_key, claimed_by, status FROM notices WHERE claim_stamp<>'' AND status IN (?,?)
		ORDER BY notice_key`, notices.StatusClaimed, notices.StatusRetry)
	if err != nil {
		s.fail("notices: %v", err)
		return
	}
	type left struct{ key, by, status string }
	var ls []left
	for rows.Next() {
		var x left
		if err := rows.Scan(&x.key, &x.by, &x.status); err != nil {
			s.fail("notices: %v", err)
		}
		ls = append(ls, x)
	}
	rows.Close()
	for _, x := range ls {
		status := ""
		for _, rn := range runners {
			if rn.node == x.by && rn.svc != nil && !rn.dead {
				rn.svc.Read().QueryRowContext(s.ctx, `SELECT status FROM notices WHERE notice_key=?`, x.key).Scan(&status)
			}
		}
		if status == notices.StatusDropped || status == notices.StatusFailed {
			continue
		}
		s.fail("notices: %s claimed by %s is still %s at central (%q at its claimer) an hour after healing: never sent", x.key, x.by, x.status, status)
	}
}
