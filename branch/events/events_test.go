package events_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/replicate"
)

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

var ctx = branchtest.Admin(context.Background())

// node is one branch (or the in-process central) with its events.
type node struct {
	*branchtest.Env
	ev *events.Service
}

// central stands for central's state machine: it decides for the Central
// account in its own transactions; a partition makes it unreachable.
type central struct {
	mu   sync.Mutex
	n    *node
	down map[string]bool // accounts cut off
}

type remote struct {
	c    *central
	acct func() string
}

func (r remote) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	if r.c.down[r.acct()] {
		return nil, nil, errors.New("partitioned")
	}
	return r.c.n.ev.DecideHere(ctx, req)
}

func seedLib(tb testing.TB, svc *branch.Service, patrons int) []string {
	tb.Helper()
	must(tb, svc.SetLibrary(ctx, domain.Library{BranchID: "MAIN", Name: "Main library", HoldShelfDays: 7}))
	must(tb, svc.SetCategory(ctx, domain.Category{Category: "ADULT", Description: "Adult", MaxFineCents: 1000, EnrolmentMonths: 12, MaxHolds: 10}))
	var ids []string
	for i := range patrons {
		p, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: fmt.Sprintf("2100%04d", i), Firstname: "P", Surname: fmt.Sprint(i),
			HomeBranch: "MAIN", Category: "ADULT", PIN: "1234"})
		must(tb, err)
		ids = append(ids, p.PatronID)
	}
	return ids
}

func newEvent(tb testing.TB, ev *events.Service, capacity int) *domain.Event {
	tb.Helper()
	start := branchtest.Monday.Add(48 * time.Hour)
	e, err := ev.Create(ctx, domain.NewEvent{Title: "Story time", LibraryID: "MAIN", Start: start.Format(time.RFC3339),
		End: start.Add(time.Hour).Format(time.RFC3339), Capacity: capacity, Audience: "children"})
	must(tb, err)
	return e
}

func TestStandaloneRegisterWaitlistPromoteCheckin(t *testing.T) {
	env := branchtest.Open(t, branchtest.Options{})
	ev := events.NewService(env.Service, events.Config{})
	ps := seedLib(t, env.Service, 5)
	e := newEvent(t, ev, 3)
	var regs []*domain.EventRegistration
	for i, p := range ps {
		req := domain.EventRegistrationRequest{PatronID: p}
		if i == 0 {
			req.Guests = []string{"Child"} // 2 seats
		}
		r, err := ev.Register(ctx, e.EventID, req, "fi")
		must(t, err)
		regs = append(regs, r)
	}
	want := []string{"registered", "registered", "waitlisted", "waitlisted", "waitlisted"}
	for i, r := range regs {
		if r.Status != want[i] {
			t.Fatalf("registration %d: %s, want %s", i, r.Status, want[i])
		}
	}
	if regs[2].Message == "" || regs[2].Position != 1 || regs[4].Position != 3 {
		t.Fatalf("waitlisted answer: %+v", regs[2])
	}
	// Registering again answers the registration the patron has.
	again, err := ev.Register(ctx, e.EventID, domain.EventRegistrationRequest{PatronID: ps[1]}, "en")
	must(t, err)
	if again.RegistrationID != regs[1].RegistrationID {
		t.Fatal("a second registration for one patron")
	}
	// The party of two cancels: two seats free; the head (one seat) and
	// the next (one seat) are promoted, in order.
	if _, err := ev.Unregister(ctx, e.EventID, regs[0].RegistrationID); err != nil {
		t.Fatal(err)
	}
	for i, w := range []string{"cancelled", "registered", "registered", "registered", "waitlisted"} {
		r, err := ev.Registration(ctx, regs[i].RegistrationID)
		must(t, err)
		if r.Status != w {
			t.Fatalf("after cancel, registration %d: %s, want %s", i, r.Status, w)
		}
	}
	// Check-in counts once.
	c, err := ev.Checkin(ctx, "", regs[1].Ticket)
	must(t, err)
	if c.Already {
		t.Fatal("first scan says already")
	}
	c, err = ev.Checkin(ctx, e.EventID, regs[1].Ticket)
	must(t, err)
	if !c.Already {
		t.Fatal("second scan does not say already")
	}
	if _, err := ev.Checkin(ctx, "", regs[4].Ticket); domain.ErrorCode(err) != domain.CodeNotPermitted {
		t.Fatalf("waitlisted ticket checked in: %v", err)
	}
	if _, err := ev.Checkin(ctx, "", "EVT-AAAAAAAAAAAAAAAAAAAAAAAAAA"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("unknown ticket: %v", err)
	}
	got, err := ev.Event(ctx, e.EventID)
	must(t, err)
	if got.Capacity != 3 || got.SeatsTaken != 3 || got.Waitlisted != 1 || got.CheckedIn != 1 || got.Attendance != 1 {
		t.Fatalf("counts: %+v", got)
	}
}

func TestBadInput(t *testing.T) {
	env := branchtest.Open(t, branchtest.Options{})
	ev := events.NewService(env.Service, events.Config{})
	ps := seedLib(t, env.Service, 1)
	start := branchtest.Monday.Add(time.Hour).Format(time.RFC3339)
	for name, ne := range map[string]domain.NewEvent{
		"NoTitle":    {LibraryID: "MAIN", Start: start, End: start, Capacity: 3},
		"EndBefore":  {Title: "X", LibraryID: "MAIN", Start: start, End: branchtest.Monday.Format(time.RFC3339), Capacity: 3},
		"BadTime":    {Title: "X", LibraryID: "MAIN", Start: "tomorrow", End: start, Capacity: 3},
		"NoCapacity": {Title: "X", LibraryID: "MAIN", Start: start, End: branchtest.Monday.Add(2 * time.Hour).Format(time.RFC3339)},
	} {
		if _, err := ev.Create(ctx, ne); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	e := newEvent(t, ev, 2)
	if _, err := ev.Register(ctx, e.EventID, domain.EventRegistrationRequest{PatronID: ps[0], GuestCount: 20}, "en"); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("party of 21: %v", err)
	}
	if _, err := ev.Register(ctx, e.EventID, domain.EventRegistrationRequest{PatronID: "nobody"}, "en"); err == nil {
		t.Error("unknown patron registered")
	}
	_, err := ev.Cancel(ctx, e.EventID)
	must(t, err)
	if _, err := ev.Register(ctx, e.EventID, domain.EventRegistrationRequest{PatronID: ps[0]}, "fi"); err == nil || err.Error() != "Tämä tapahtuma on peruttu." {
		t.Errorf("cancelled event: %v", err)
	}
}

// TestCapacityAcrossPartitions: four branches and central; many
// concurrent registrations and cancellations, with branches cut off from
// central and from each other for a while, then merged. Acknowledged
// seats never exceed capacity, none is taken back, and every replica
// ends with the same state and waitlist order.
func TestCapacityAcrossPartitions(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { capacityRun(t, seed, false) })
	}
}

func capacityRun(t *testing.T, seed uint64, plant bool) (caught bool) {
	rng := rand.New(rand.NewPCG(seed, 7))
	c := &central{down: map[string]bool{}}
	c.n = &node{Env: branchtest.Open(t, branchtest.Options{Node: 100})}
	c.n.ev = events.NewService(c.n.Service, events.Config{})
	var nodes []*node
	for i := range 4 {
		n := &node{Env: branchtest.Open(t, branchtest.Options{Node: replicate.NodeID(i + 1)})}
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		n := n
		n.ev = events.NewService(n.Service, events.Config{Remote: remote{c: c, acct: func() string { return n.ev.Account() }}, PlantOversell: plant})
	}
	ps := seedLib(t, nodes[0].Service, 60)
	const capacity = 12
	e := newEvent(t, nodes[0].ev, capacity)
	all := append([]*node{c.n}, nodes...)
	mergeAll := func() {
		for _, a := range all {
			for _, b := range all {
				if a != b {
					branchtest.Exchange(t, a.Service, b.Service)
				}
			}
		}
	}
	mergeAll()
	acked := map[string]bool{} // registrations answered "registered"
	var mu sync.Mutex
	next := 0
	for round := range 6 {
		// Partition: some branches lose central; merges between them only
		// inside the round's groups.
		c.mu.Lock()
		clear(c.down)
		for _, n := range nodes {
			if rng.IntN(2) == 0 {
				c.down[n.ev.Account()] = true
			}
		}
		c.mu.Unlock()
		var wg sync.WaitGroup
		for ni, n := range nodes {
			batch := ps[next : next+2]
			next += 2
			if next >= len(ps) {
				next = 0
			}
			cancelSome := rng.IntN(3) == 0
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, p := range batch {
					r, err := n.ev.Register(ctx, e.EventID, domain.EventRegistrationRequest{PatronID: p, GuestCount: (ni + round) % 2}, "en")
					if err != nil {
						t.Error(err)
						return
					}
					if r.Status == domain.EventRegistered {
						mu.Lock()
						acked[r.RegistrationID] = true
						mu.Unlock()
					}
				}
				if cancelSome {
					rs, _ := n.ev.Registrations(ctx, e.EventID)
					for _, r := range rs {
						if r.Status != domain.EventCancelled {
							n.ev.Unregister(ctx, e.EventID, r.RegistrationID)
							mu.Lock()
							delete(acked, r.RegistrationID)
							mu.Unlock()
							break
						}
					}
				}
				ids, err := n.ev.PromoteAll(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				for _, id := range ids {
					acked[id] = true
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		// Some pairs merge mid-partition.
		for range 3 {
			a, b := all[rng.IntN(len(all))], all[rng.IntN(len(all))]
			if a != b {
				branchtest.Exchange(t, a.Service, b.Service)
			}
		}
		for _, n := range all {
			if err := checkCapacity(n, e.EventID, capacity); err != nil {
				if plant {
					return true
				}
				t.Fatal(err)
			}
		}
	}
	c.mu.Lock()
	clear(c.down)
	c.mu.Unlock()
	mergeAll()
	mergeAll()
	var hashes []string
	var orders [][]string
	for _, n := range all {
		if err := checkCapacity(n, e.EventID, capacity); err != nil {
			if plant {
				return true
			}
			t.Fatal(err)
		}
		h, err := replicate.StateHash(context.Background(), n.DB.Read(), events.StateTables)
		must(t, err)
		hashes = append(hashes, h)
		wl, err := n.ev.Waitlist(ctx, e.EventID)
		must(t, err)
		var ids []string
		for _, r := range wl {
			ids = append(ids, r.RegistrationID)
		}
		orders = append(orders, ids)
	}
	for i := range hashes {
		if hashes[i] != hashes[0] {
			t.Fatalf("replica %d's events state differs", i)
		}
		if !slices.Equal(orders[i], orders[0]) {
			t.Fatalf("replica %d's waitlist order differs: %v vs %v", i, orders[i], orders[0])
		}
	}
	// No acknowledged seat was taken back by a merge.
	for id := range acked {
		r, err := nodes[0].ev.Registration(ctx, id)
		must(t, err)
		if r.Status != domain.EventRegistered {
			t.Fatalf("acknowledged registration %s is now %s", id, r.Status)
		}
	}
	got, err := nodes[0].ev.Event(ctx, e.EventID)
	must(t, err)
	t.Logf("seed %d: capacity %d, taken %d, waitlisted %d, acknowledged %d", seed, got.Capacity, got.SeatsTaken, got.Waitlisted, len(acked))
	if got.SeatsTaken == 0 || got.Waitlisted == 0 {
		t.Fatalf("the workload did not fill the event: %+v", got)
	}
	return false
}

func checkCapacity(n *node, eventID string, capacity int) error {
	bad, err := events.Overbooked(context.Background(), n.DB.Read())
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("oversold: %v", bad)
	}
	taken, err := events.SeatsTaken(context.Background(), n.DB.Read(), eventID)
	if err != nil {
		return err
	}
	if taken > capacity {
		return fmt.Errorf("%d seats taken of %d", taken, capacity)
	}
	return nil
}

// TestPlantedOversellIsCaught: the planted bug (a seat confirmed without
// checking the balance) must trip the capacity check.
func TestPlantedOversellIsCaught(t *testing.T) {
	if !capacityRun(t, 1, true) {
		t.Fatal("the planted oversell was not caught")
	}
}
