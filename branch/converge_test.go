package branch_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

var convergeCases = flag.Int("converge.cases", 0, "cases of TestConvergence (default: 300, 60 with -short; more for a fuller run)")

var branchIDs = []string{"MAIN", "EAST", "WEST", "NORTH", "SOUTH"}

// cluster is a set of replicas that exchange ops only when the test says so.
type cluster struct {
	t    testing.TB
	r    *rand.Rand
	reps []*env
}

// deliver sends some of from's ops that to lacks, in a random order, with
// some dropped (to be retried later) and some duplicated.
func (c *cluster) deliver(from, to *env, all bool) {
	ctx := context.Background()
	vv, err := to.log.VersionVector(ctx)
	mustNoErr(c.t, err)
	ops, err := from.log.Ops(ctx, vv, 0)
	mustNoErr(c.t, err)
	var send []replicate.Op
	for _, op := range ops {
		if all || c.r.IntN(4) > 0 {
			send = append(send, op)
		}
	}
	if !all {
		c.r.Shuffle(len(send), func(i, j int) { send[i], send[j] = send[j], send[i] })
		if len(send) > 2 {
			send = append(send, send[:c.r.IntN(len(send)/2)]...)
		}
	}
	for i := 0; i < len(send); i += 50 {
		_, err := to.log.Integrate(ctx, send[i:min(i+50, len(send))])
		mustNoErr(c.t, err)
	}
}

func (c *cluster) healAll() {
	for pass := 0; pass < 2; pass++ {
		for _, a := range c.reps {
			for _, b := range c.reps {
				if a != b {
					c.deliver(a, b, true)
				}
			}
		}
	}
}

// step runs one random command at replica e, often on the same patrons and
// items as the others, so that concurrent conflicting ops arise.
func (c *cluster) step(e *env, cards, barcodes []string) {
	r := c.r
	ctx := e.ctx
	e.clock.Advance(time.Duration(r.IntN(120)) * time.Minute)
	card := cards[r.IntN(len(cards))]
	bc := barcodes[r.IntN(len(barcodes))]
	p, _ := e.svc.PatronByCard(ctx, card)
	switch r.IntN(15) {
	case 0, 1, 2:
		e.svc.Checkout(ctx, domain.CheckoutRequest{Cardnumber: card, Barcode: bc})
	case 3, 4:
		e.svc.Checkin(e.clerk, domain.CheckinRequest{Barcode: bc})
	case 5:
		e.svc.Renew(ctx, domain.RenewRequest{Barcode: bc})
	case 6:
		it, _ := e.svc.ItemByBarcode(ctx, bc)
		if p != nil && it != nil {
			e.svc.PlaceHold(ctx, domain.HoldRequest{PatronID: p.PatronID, BiblioID: it.BiblioID, PickupBranch: branchIDs[r.IntN(2)]})
		}
	case 7:
		if p != nil {
			if hs, _ := e.svc.PatronHolds(ctx, p.PatronID); len(hs) > 0 {
				e.svc.CancelHold(ctx, hs[r.IntN(len(hs))].HoldID, "")
			}
		}
	case 8:
		if p != nil {
			if a, _ := e.svc.Account(ctx, p.PatronID); a != nil && a.BalanceCents > 0 {
				e.svc.Pay(ctx, p.PatronID, domain.PaymentRequest{AmountCents: a.BalanceCents, Method: "card"})
			} else {
				e.svc.Charge(ctx, p.PatronID, domain.ChargeRequest{AmountCents: 200, Description: "Damaged cover"})
			}
		}
	case 9:
		e.svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: fmt.Sprintf("NEW%d", r.IntN(3)), Surname: "Newcomer", Category: "ADULT", PIN: "1234"})
	case 10:
		if p != nil {
			name := fmt.Sprintf("Renamed%d", r.IntN(100))
			e.svc.UpdatePatron(ctx, p.PatronID, domain.PatronUpdate{Surname: &name})
		}
	case 11:
		if p != nil {
			if r.IntN(2) == 0 {
				e.svc.BlockPatron(ctx, p.PatronID, "address check")
			} else {
				e.svc.UnblockPatron(ctx, p.PatronID)
			}
		}
	case 12:
		e.svc.SetRule(ctx, domain.Rule{BranchID: "*", Category: "*", ItemType: []string{"BOOK", "*"}[r.IntN(2)], LoanDays: 14 + r.IntN(14),
			Renewals: 2, MaxLoans: 1 + r.IntN(3), FineCents: 25, MaxFineCents: 500, HoldsAllowed: true})
	case 13:
		cs, _ := e.svc.Conflicts(ctx, "open")
		if len(cs) > 0 {
			cf := cs[r.IntN(len(cs))]
			res := domain.Resolution{Action: domain.ActionAcknowledge, Note: "seen"}
			var d struct {
				Checkouts []struct {
					LoanID string `json:"checkout_id"`
				} `json:"checkouts"`
				PatronIDs []string `json:"patron_ids"`
			}
			json.Unmarshal(cf.Details, &d)
			switch {
			case cf.Kind == domain.ConflictDoubleLoan && len(d.Checkouts) > 0:
				res = domain.Resolution{Action: domain.ActionKeepLoan, LoanID: d.Checkouts[0].LoanID}
			case cf.Kind == domain.ConflictDuplicateCard && len(d.PatronIDs) > 1:
				res = domain.Resolution{Action: domain.ActionNewCard, PatronID: d.PatronIDs[1]}
			case cf.Kind == domain.ConflictOverpayment:
				res = domain.Resolution{Action: domain.ActionRefund}
			}
			if _, err := e.svc.ResolveConflict(ctx, cf.ConflictID, res); err != nil {
				c.t.Fatalf("resolve %s with %+v: %v", cf.Kind, res, err)
			}
		}
	case 14: // concurrent item properties from kiosks, last writer wins (a kiosk's change of staff status is refused)
		kiosk := domain.WithActor(ctx, domain.Actor{ID: "kiosk-" + e.svc.Branch(), Role: domain.RoleKiosk, Channel: domain.ChannelKiosk})
		setProperties(kiosk, e, r, bc)
	}
}

func conflictsJSON(t testing.TB, e *env) string {
	cs, err := e.svc.Conflicts(context.Background(), "")
	mustNoErr(t, err)
	b, _ := json.Marshal(cs)
	return string(b)
}

// TestConvergence: 3-5 replicas run random commands on shared patrons and
// items while exchanging ops in random orders with drops, retries and
// duplicates; after healing, every replica has the same state hash and the
// same conflicts queue.
func TestConvergence(t *testing.T) {
	cases := *convergeCases
	if cases == 0 {
		cases = 300
		if testing.Short() {
			cases = 60
		}
	}
	kinds := map[string]int{}
	for seed := 1; seed <= cases; seed++ {
		runConvergenceCase(t, uint64(seed), kinds, false)
		if t.Failed() {
			t.Fatalf("seed %d failed; replay with -run TestConvergence -converge.cases=%d", seed, seed)
		}
	}
	t.Logf("%d cases; conflicts seen: %v", cases, kinds)
	for _, k := range []string{domain.ConflictDoubleLoan, domain.ConflictDuplicateCard, domain.ConflictOverpayment, domain.ConflictLoanLimit} {
		if kinds[k] == 0 && cases >= 300 {
			t.Errorf("no %s conflict arose in %d cases: the workload does not exercise it", k, cases)
		}
	}
}

var (
	templateOnce sync.Once
	templateDB   []byte
)

// copyTemplate puts an empty, migrated database in dir: copying one file is
// much faster than creating the schema for every replica of every case.
func copyTemplate(t *testing.T, dir string) {
	templateOnce.Do(func() {
		tdir, err := os.MkdirTemp("", "stacks-template")
		mustNoErr(t, err)
		defer os.RemoveAll(tdir)
		path := filepath.Join(tdir, "stacks.db")
		db, err := replicate.OpenDB(context.Background(), path, branch.Migrations())
		mustNoErr(t, err)
		mustNoErr(t, db.Close()) // a clean close checkpoints the WAL into the file
		templateDB, err = os.ReadFile(path)
		mustNoErr(t, err)
	})
	mustNoErr(t, os.WriteFile(filepath.Join(dir, "stacks.db"), templateDB, 0o600))
}

// TestConvergenceCompacted is TestConvergence with compaction: now and
// then replicas fold away the ops every replica holds (the minimum of
// their vectors), and then concurrent ops keep arriving late, touching the
// compacted rows (last-writer-wins fields, loans, holds, fees, conflicts).
// Compacted and uncompacted replicas end with the same state hash and the
// same conflicts queue.
func TestConvergenceCompacted(t *testing.T) {
	cases := 30
	if testing.Short() {
		cases = 10
	}
	kinds := map[string]int{}
	for seed := 1; seed <= cases; seed++ {
		runConvergenceCase(t, uint64(seed), kinds, true)
		if t.Failed() {
			t.Fatalf("seed %d failed", seed)
		}
	}
	t.Logf("%d cases; conflicts seen: %v", cases, kinds)
	if kinds[domain.ConflictDoubleLoan] == 0 {
		t.Error("no double loan arose: the compacted cases do not exercise conflicts")
	}
	if compactedOps == 0 {
		t.Error("nothing was compacted")
	}
}

// compactedOps counts what compactSome deleted (TestConvergenceCompacted).
var compactedOps int

// compactSome makes some replicas compact the ops that all hold.
func (c *cluster) compactSome() {
	ctx := context.Background()
	var stable replicate.VersionVector
	for i, e := range c.reps {
		vv, err := e.log.VersionVector(ctx)
		mustNoErr(c.t, err)
		if i == 0 {
			stable = vv
			continue
		}
		for o := range stable {
			stable[o] = min(stable[o], vv[o])
		}
	}
	for _, e := range c.reps {
		if c.r.IntN(2) == 0 {
			continue
		}
		for {
			res, err := e.log.Compact(ctx, stable, 1+c.r.IntN(200))
			mustNoErr(c.t, err)
			compactedOps += res.Ops
			if !res.More {
				break
			}
		}
	}
}

func runConvergenceCase(t *testing.T, seed uint64, kinds map[string]int, compact bool) {
	r := rand.New(rand.NewPCG(seed, 1234))
	c := &cluster{t: t, r: r}
	n := 3 + r.IntN(3)
	for i := 0; i < n; i++ {
		clock := replicatetest.NewClock(monday.Add(time.Duration(r.IntN(300)) * time.Second)) // skewed clocks
		dir := t.TempDir()
		copyTemplate(t, dir)
		c.reps = append(c.reps, openEnvOpt(t, dir, replicate.NodeID(100+i), branchIDs[i], clock, replicate.DBOptions{NoSync: true}))
	}
	seedRep := c.reps[0]
	seedRep.setup()
	for _, l := range branchIDs[2:] {
		mustNoErr(t, seedRep.svc.SetLibrary(seedRep.ctx, domain.Library{BranchID: l, Name: l}))
	}
	var cards, barcodes []string
	for i := 0; i < 4; i++ {
		p := seedRep.patron(fmt.Sprintf("C%d", i), "ADULT")
		cards = append(cards, p.Cardnumber)
		if i < 2 { // a fee every branch knows of, which two branches may both take payment for
			_, err := seedRep.svc.Charge(seedRep.ctx, p.PatronID, domain.ChargeRequest{AmountCents: 300, Description: "Replacement card"})
			mustNoErr(t, err)
		}
	}
	for i := 0; i < 3; i++ {
		b := seedRep.title(fmt.Sprintf("T%d", i))
		for j := 0; j < 2; j++ {
			bc := fmt.Sprintf("B%d%d", i, j)
			seedRep.item(b, bc, "BOOK", branchIDs[j])
			barcodes = append(barcodes, bc)
		}
	}
	c.healAll()
	if compact {
		c.compactSome()
	}
	steps := 20 + r.IntN(30)
	for s := 0; s < steps; s++ {
		if compact && r.IntN(8) == 0 {
			c.compactSome()
		}
		c.step(c.reps[r.IntN(n)], cards, barcodes)
		if r.IntN(3) == 0 {
			a, b := c.reps[r.IntN(n)], c.reps[r.IntN(n)]
			if a != b {
				c.deliver(a, b, false)
			}
		}
	}
	c.healAll()
	want, wantConf := c.reps[0].hash(), conflictsJSON(t, c.reps[0])
	for i, e := range c.reps[1:] {
		if h := e.hash(); h != want {
			t.Errorf("seed %d: replica %d hash %s, replica 0 %s", seed, i+1, h, want)
		}
		if cj := conflictsJSON(t, e); cj != wantConf {
			t.Errorf("seed %d: replica %d conflicts differ:\n%s\nvs\n%s", seed, i+1, cj, wantConf)
		}
	}
	cs, _ := c.reps[0].svc.Conflicts(context.Background(), "")
	for _, cf := range cs {
		kinds[cf.Kind]++
	}
	// Every conflict about patrons names them, with the card staff see.
	mustNoErr(t, c.reps[0].svc.NameConflictPatrons(context.Background(), cs))
	for _, cf := range cs {
		if cf.Kind == domain.ConflictDoubleTrap {
			continue
		}
		if len(cf.Patrons) == 0 || cf.Patrons[0].Cardnumber == "" || cf.Patrons[0].Name == "" {
			t.Errorf("seed %d: %s conflict names no patron: %+v in %s", seed, cf.Kind, cf.Patrons, cf.Details)
		}
	}
	for _, e := range c.reps {
		e.log.Close()
		e.db.Close()
	}
}
