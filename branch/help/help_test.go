package help_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/help"
	"stacks/replicate"
)

type env struct {
	*branchtest.Env
	help *help.Service
}

func open(t *testing.T, node replicate.NodeID, branchID string) env {
	t.Helper()
	e := env{Env: branchtest.Open(t, branchtest.Options{Node: node, Branch: branchID})}
	e.help = help.New(e.Service, nil)
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func as(id, role string, ch domain.Channel) context.Context {
	return domain.WithActor(context.Background(), domain.Actor{ID: id, Role: role, Channel: ch})
}

var (
	kiosk = as("kiosk1", domain.RoleKiosk, domain.ChannelKiosk)
	anna  = as("anna", domain.RoleCirculation, domain.ChannelDesk)
	bert  = as("bert", domain.RoleCirculation, domain.ChannelDesk)
)

func patron(t *testing.T, e env, home string) *domain.Patron {
	t.Helper()
	branchtest.SeedPolicy(t, branchtest.Admin(context.Background()), e.Service)
	p, err := e.Service.RegisterPatron(branchtest.Admin(context.Background()), domain.NewPatron{Cardnumber: "21000000000001",
		Firstname: "Alice", Surname: "Archer", Category: "ADULT", HomeBranch: home, PIN: "1234"})
	must(t, err)
	return p
}

func TestRouting(t *testing.T) {
	e := open(t, 1, "MAIN")
	alice := patron(t, e, "EAST")
	pctx := as("patron:"+alice.PatronID, domain.RolePatron, domain.ChannelWeb)
	// The web goes to the home branch; the kiosk to where it stands.
	web, err := e.help.Open(pctx, help.Ask{Channel: "web", Message: "Where do I pick up my hold?", PatronID: alice.PatronID})
	must(t, err)
	k, err := e.help.Open(kiosk, help.Ask{Channel: "kiosk", Message: "The printer is jammed", PatronID: alice.PatronID, Location: "Entrance"})
	must(t, err)
	anon, err := e.help.Open(kiosk, help.Ask{Channel: "kiosk", Message: "Help!", Location: "Entrance"})
	must(t, err)
	for id, want := range map[string]string{web: "EAST", k: "MAIN", anon: "MAIN"} {
		r, _, err := e.help.Request(context.Background(), id)
		must(t, err)
		if r.BranchID != want || r.RoutedBranch != want || r.Status != domain.HelpOpen {
			t.Errorf("request %s: branch %s (routed %s), status %s; want %s, open", r.Message, r.BranchID, r.RoutedBranch, r.Status, want)
		}
	}
	open, err := e.help.List(context.Background(), help.Filter{Status: "open", BranchID: "MAIN"})
	must(t, err)
	if len(open) != 2 {
		t.Errorf("MAIN's open queue has %d requests, want 2", len(open))
	}
	// Refusals.
	for name, a := range map[string]help.Ask{
		"empty":        {Channel: "kiosk", Message: "  "},
		"channel":      {Channel: "fax", Message: "hi"},
		"anonymousWeb": {Channel: "web", Message: "hi"},
		"long":         {Channel: "kiosk", Message: string(make([]byte, help.MaxText+1))},
	} {
		if _, err := e.help.Open(kiosk, a); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("%s: err %v, want invalid", name, err)
		}
	}
}

func TestConversationAndTimes(t *testing.T) {
	e := open(t, 1, "MAIN")
	id, err := e.help.Open(kiosk, help.Ask{Channel: "kiosk", Message: "Where are the atlases?", Location: "Entrance"})
	must(t, err)
	if err := e.help.Claim(kiosk, id); domain.ErrorCode(err) != domain.CodeNotPermitted {
		t.Errorf("a kiosk claims: %v", err)
	}
	e.Clock.Advance(90 * time.Second)
	must(t, e.help.Claim(anna, id))
	if err := e.help.Claim(bert, id); err == nil {
		t.Error("bert claimed anna's request")
	}
	e.Clock.Advance(30 * time.Second)
	must(t, e.help.Answer(anna, id, "Shelf 912, second floor."))
	e.Clock.Advance(10 * time.Second)
	must(t, e.help.Reply(kiosk, id, "Thanks, and maps?"))
	r, _, err := e.help.Request(context.Background(), id)
	must(t, err)
	if r.Status != domain.HelpAnswered || r.ClaimedBy != "anna" || len(r.Messages) != 2 || r.Awaiting != domain.HelpFromStaff {
		t.Fatalf("after answer and reply: %+v", r)
	}
	e.Clock.Advance(50 * time.Second)
	must(t, e.help.Answer(anna, id, "Same shelf."))
	e.Clock.Advance(60 * time.Second)
	must(t, e.help.Close(anna, id))
	if err := e.help.Reply(kiosk, id, "one more"); err == nil {
		t.Error("a reply to a closed request was taken")
	}
	st, err := e.help.Stats(context.Background(), "", "")
	must(t, err)
	want := domain.HelpStat{BranchID: "MAIN", Channel: "kiosk", Requests: 1, Answered: 1, Closed: 1,
		FirstResponseMeanSec: 120, FirstResponseMedianSec: 120, CloseMeanSec: 240, CloseMedianSec: 240}
	if len(st) != 1 || st[0] != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	// The same figures straight from the table.
	var fr, cl float64
	must(t, e.Service.Read().QueryRow(`SELECT first_response_seconds, close_seconds FROM help_requests WHERE request_id=?`, id).Scan(&fr, &cl))
	if fr != 120 || cl != 240 {
		t.Errorf("table: first response %v s, close %v s", fr, cl)
	}
}

func TestStatsMedian(t *testing.T) {
	e := open(t, 1, "MAIN")
	for _, wait := range []time.Duration{10 * time.Second, 20 * time.Second, 60 * time.Second} {
		id, err := e.help.Open(kiosk, help.Ask{Channel: "kiosk", Message: "help"})
		must(t, err)
		e.Clock.Advance(wait)
		must(t, e.help.Answer(anna, id, "ok"))
	}
	_, err := e.help.Open(kiosk, help.Ask{Channel: "kiosk", Message: "unanswered"})
	must(t, err)
	st, err := e.help.Stats(context.Background(), "", "")
	must(t, err)
	if len(st) != 1 || st[0].Requests != 4 || st[0].Answered != 3 || st[0].FirstResponseMedianSec != 20 || st[0].FirstResponseMeanSec != 30 || st[0].Closed != 0 {
		t.Errorf("stats %+v", st)
	}
}

// Two branches apart claim the same request; after they sync both agree
// on the earliest claim, then a takeover moves it, and every message stays.
func TestConcurrentClaimsConverge(t *testing.T) {
	clock := branchtest.Open(t, branchtest.Options{}).Clock // a shared fake clock
	a := env{Env: branchtest.Open(t, branchtest.Options{Node: 1, Branch: "MAIN", Clock: clock})}
	b := env{Env: branchtest.Open(t, branchtest.Options{Node: 2, Branch: "MAIN", Clock: clock})}
	c := env{Env: branchtest.Open(t, branchtest.Options{Node: 3, Branch: "EAST", Clock: clock})}
	for _, x := range []*env{&a, &b, &c} {
		x.help = help.New(x.Service, nil)
	}
	id, err := a.help.Open(kiosk, help.Ask{Channel: "kiosk", Message: "help"})
	must(t, err)
	branchtest.Exchange(t, a.Service, b.Service)
	// Apart: b claims first, a a second later.
	must(t, b.help.Claim(bert, id))
	must(t, b.help.Answer(bert, id, "coming"))
	clock.Advance(time.Second)
	must(t, a.help.Claim(anna, id))
	must(t, a.help.Answer(anna, id, "on my way"))
	syncAll := func() {
		for _, x := range []env{a, b, c} {
			for _, y := range []env{a, b, c} {
				if x.Service != y.Service {
					branchtest.Exchange(t, x.Service, y.Service)
				}
			}
		}
	}
	syncAll()
	check := func(owner, branchID string, msgs int) {
		t.Helper()
		var hash string
		for i, x := range []env{a, b, c} {
			r, _, err := x.help.Request(context.Background(), id)
			must(t, err)
			if r.ClaimedBy != owner || r.BranchID != branchID || len(r.Messages) != msgs {
				t.Errorf("node %d: claimed by %s at %s with %d messages; want %s at %s with %d", i+1, r.ClaimedBy, r.BranchID, len(r.Messages), owner, branchID, msgs)
			}
			h, err := replicate.StateHash(context.Background(), x.Service.Read(), []string{"help_requests", "help_messages"})
			must(t, err)
			if i > 0 && h != hash {
				t.Errorf("node %d's help tables differ", i+1)
			}
			hash = h
		}
	}
	check("bert", "MAIN", 2)
	// Another branch takes it over.
	clock.Advance(time.Second)
	cara := as("cara", domain.RoleCirculation, domain.ChannelDesk)
	if err := c.help.Claim(cara, id); err == nil {
		t.Error("EAST claimed MAIN's request without taking it over")
	}
	must(t, c.help.TakeOver(cara, id))
	syncAll()
	check("cara", "EAST", 2)
	q, err := a.help.List(context.Background(), help.Filter{Status: "active", BranchID: "EAST"})
	must(t, err)
	if len(q) != 1 {
		t.Errorf("EAST's queue on MAIN's node: %d", len(q))
	}
}

// Ops applied in any order give the same tables.
func TestApplyOrder(t *testing.T) {
	a := open(t, 1, "MAIN")
	id, err := a.help.Open(kiosk, help.Ask{Channel: "kiosk", Message: "help"})
	must(t, err)
	a.Clock.Advance(time.Second)
	must(t, a.help.Answer(anna, id, "yes"))
	must(t, a.help.TakeOver(bert, id))
	must(t, a.help.Close(bert, id))
	ops, err := a.Log.AllOps(context.Background())
	must(t, err)
	var mine []replicate.Op
	for _, op := range ops {
		if len(op.Kind) > 5 && op.Kind[:5] == "help." {
			mine = append(mine, op)
		}
	}
	want, err := replicate.StateHash(context.Background(), a.Service.Read(), []string{"help_requests", "help_messages"})
	must(t, err)
	b := open(t, 2, "MAIN")
	for i := len(mine) - 1; i >= 0; i-- { // reversed, one by one
		_, err := b.Log.Integrate(context.Background(), []replicate.Op{mine[i]})
		must(t, err)
	}
	got, err := replicate.StateHash(context.Background(), b.Service.Read(), []string{"help_requests", "help_messages"})
	must(t, err)
	if got != want {
		t.Error("the reversed order gave other tables")
	}
	r, _, err := b.help.Request(context.Background(), id)
	must(t, err)
	if r.Status != domain.HelpClosed || r.ClaimedBy != "bert" {
		t.Errorf("reversed: %+v", r)
	}
}

// TestConvergenceShuffled: three nodes apart claim, take over, answer and
// close the same requests in a seeded random mix; every order of the
// whole op log applied to a fresh node gives the same help tables.
func TestConvergenceShuffled(t *testing.T) {
	clock := branchtest.Open(t, branchtest.Options{}).Clock
	nodes := []env{
		{Env: branchtest.Open(t, branchtest.Options{Node: 1, Branch: "MAIN", Clock: clock})},
		{Env: branchtest.Open(t, branchtest.Options{Node: 2, Branch: "MAIN", Clock: clock})},
		{Env: branchtest.Open(t, branchtest.Options{Node: 3, Branch: "EAST", Clock: clock})},
	}
	for i := range nodes {
		nodes[i].help = help.New(nodes[i].Service, nil)
	}
	rng := rand.New(rand.NewPCG(7, 18))
	var ids []string
	for range 4 {
		id, err := nodes[0].help.Open(kiosk, help.Ask{Channel: "kiosk", Message: "help"})
		must(t, err)
		ids = append(ids, id)
	}
	for _, x := range nodes[1:] {
		branchtest.Exchange(t, nodes[0].Service, x.Service)
	}
	staff := []context.Context{anna, bert, as("cara", domain.RoleCirculation, domain.ChannelDesk)}
	for range 60 {
		n := nodes[rng.IntN(3)]
		id, who := ids[rng.IntN(len(ids))], staff[rng.IntN(3)]
		clock.Advance(time.Duration(rng.IntN(3)) * time.Second) // ties too
		switch rng.IntN(5) {
		case 0:
			n.help.Claim(who, id) // refusals are fine
		case 1:
			n.help.TakeOver(who, id)
		case 2:
			n.help.Answer(who, id, "answer")
		case 3:
			n.help.Reply(kiosk, id, "reply")
		case 4:
			if rng.IntN(4) == 0 {
				n.help.Close(who, id)
			}
		}
		if rng.IntN(6) == 0 { // an occasional partial sync
			branchtest.Exchange(t, nodes[rng.IntN(3)].Service, nodes[rng.IntN(3)].Service)
		}
	}
	var all []replicate.Op
	for _, x := range nodes {
		for _, y := range nodes {
			if x.Service != y.Service {
				branchtest.Exchange(t, x.Service, y.Service)
			}
		}
	}
	ops, err := nodes[0].Log.AllOps(context.Background())
	must(t, err)
	all = ops
	tables := []string{"help_requests", "help_messages"}
	want, err := replicate.StateHash(context.Background(), nodes[0].Service.Read(), tables)
	must(t, err)
	for i, x := range nodes[1:] {
		got, err := replicate.StateHash(context.Background(), x.Service.Read(), tables)
		must(t, err)
		if got != want {
			t.Fatalf("node %d differs after syncing", i+2)
		}
	}
	for trial := range 3 {
		order := slices.Clone(all)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		fresh := open(t, replicate.NodeID(10+trial), "MAIN")
		for i := 0; i < len(order); i += 7 {
			_, err := fresh.Log.Integrate(context.Background(), order[i:min(i+7, len(order))])
			must(t, err)
		}
		got, err := replicate.StateHash(context.Background(), fresh.Service.Read(), tables)
		must(t, err)
		if got != want {
			t.Fatalf("shuffle %d gave other help tables", trial)
		}
	}
}
