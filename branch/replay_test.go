package branch_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// workload drives a branch through a random but reproducible mix of every
// command, refusals and overrides included.
func workload(t testing.TB, e *env, seed uint64, steps int) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	var cards []string
	var barcodes []string
	var biblios []*domain.Biblio
	for i := 0; i < 8; i++ {
		cards = append(cards, e.patron(fmt.Sprintf("P%d", i), []string{"ADULT", "CHILD"}[i%2]).Cardnumber)
	}
	types := []string{"BOOK", "BOOK", "DVD", "REF"}
	for i := 0; i < 6; i++ {
		b := e.title(fmt.Sprintf("Title %d", i))
		biblios = append(biblios, b)
		for j := 0; j < 2; j++ {
			bc := fmt.Sprintf("I%d-%d", i, j)
			e.item(b, bc, types[(i+j)%len(types)], []string{"MAIN", "EAST"}[j])
			barcodes = append(barcodes, bc)
		}
	}
	ctx := e.ctx
	// Item properties come from a stream of their own, so that the rest of
	// the workload is what it was before items had properties.
	pr := rand.New(rand.NewPCG(seed, 8))
	for s := 0; s < steps; s++ {
		e.clock.Advance(time.Duration(r.IntN(36)) * time.Hour)
		card := cards[r.IntN(len(cards))]
		bc := barcodes[r.IntN(len(barcodes))]
		if pr.IntN(5) == 0 {
			setProperties(ctx, e, pr, bc)
		}
		var ov *domain.Override
		if r.IntN(4) == 0 {
			ov = &domain.Override{Reason: "supervisor said so"}
		}
		switch r.IntN(12) {
		case 0, 1, 2:
			e.svc.Checkout(ctx, domain.CheckoutRequest{Cardnumber: card, Barcode: bc, Override: ov})
		case 3, 4:
			e.svc.Checkin(e.clerk, domain.CheckinRequest{Barcode: bc})
		case 5:
			e.svc.Renew(ctx, domain.RenewRequest{Barcode: bc, Override: ov})
		case 6:
			p, _ := e.svc.PatronByCard(ctx, card)
			e.svc.PlaceHold(ctx, domain.HoldRequest{PatronID: p.PatronID, BiblioID: biblios[r.IntN(len(biblios))].BiblioID,
				PickupBranch: []string{"MAIN", "EAST"}[r.IntN(2)], Override: ov})
		case 7:
			p, _ := e.svc.PatronByCard(ctx, card)
			if hs, _ := e.svc.PatronHolds(ctx, p.PatronID); len(hs) > 0 {
				e.svc.CancelHold(ctx, hs[r.IntN(len(hs))].HoldID, "changed mind")
			}
		case 8:
			p, _ := e.svc.PatronByCard(ctx, card)
			if a, _ := e.svc.Account(ctx, p.PatronID); a != nil && a.BalanceCents > 0 {
				amt := 1 + r.Int64N(a.BalanceCents)
				if r.IntN(2) == 0 {
					e.svc.Pay(ctx, p.PatronID, domain.PaymentRequest{AmountCents: amt, Method: "cash"})
				} else {
					e.svc.Waive(ctx, p.PatronID, domain.PaymentRequest{AmountCents: amt, Reason: "goodwill"})
				}
			}
		case 9:
			e.svc.ExpireHolds(ctx)
		case 10:
			p, _ := e.svc.PatronByCard(ctx, card)
			switch r.IntN(4) {
			case 0:
				e.svc.BlockPatron(ctx, p.PatronID, "check address")
			case 1:
				e.svc.UnblockPatron(ctx, p.PatronID)
			case 2:
				e.svc.Charge(ctx, p.PatronID, domain.ChargeRequest{AmountCents: 100 + r.Int64N(900), Description: "damage"})
			case 3:
				e.svc.RenewCard(ctx, p.PatronID)
			}
		case 11:
			it, _ := e.svc.ItemByBarcode(ctx, bc)
			if r.IntN(3) == 0 {
				e.svc.DeclareLost(ctx, it.ItemID)
			} else {
				e.svc.SetRule(ctx, domain.Rule{BranchID: "*", Category: "*", ItemType: "BOOK", LoanDays: 7 + r.IntN(21),
					Renewals: r.IntN(3), MaxLoans: 2 + r.IntN(5), FineCents: 25, MaxFineCents: 500, HoldsAllowed: true})
			}
		}
	}
}

// setProperties sets an item's properties, now and then together with its
// staff status (whose change re-derives the item's status).
func setProperties(ctx context.Context, e *env, r *rand.Rand, barcode string) {
	it, err := e.svc.ItemByBarcode(ctx, barcode)
	if err != nil {
		return
	}
	props := []string{"", "2 discs", "security case", "DVD 2 discs, booklet", "Book and CD"}[r.IntN(5)]
	u := domain.ItemUpdate{Properties: &props}
	if r.IntN(4) == 0 {
		st := []string{domain.ItemAvailable, domain.ItemDamaged}[r.IntN(2)]
		u.BaseStatus = &st
	}
	e.svc.UpdateItem(ctx, it.ItemID, u)
}

// TestReplayAnyOrder replays a branch's op log into fresh databases in
// several orders (counter order, reversed, shuffled) and, with duplicates,
// gets the same state hash every time.
func TestReplayAnyOrder(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	steps := 300
	if testing.Short() {
		seeds, steps = seeds[:1], 150
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			e := newEnv(t)
			workload(t, e, seed, steps)
			want := e.hash()
			ops, err := e.log.AllOps(context.Background())
			mustNoErr(t, err)
			if len(ops) < steps/2 {
				t.Fatalf("only %d ops", len(ops))
			}
			r := rand.New(rand.NewPCG(seed, 99))
			orders := map[string][]replicate.Op{"log": ops}
			rev := make([]replicate.Op, len(ops))
			for i, op := range ops {
				rev[len(ops)-1-i] = op
			}
			orders["reversed"] = rev
			for i := 0; i < 3; i++ {
				sh := append([]replicate.Op(nil), ops...)
				r.Shuffle(len(sh), func(a, b int) { sh[a], sh[b] = sh[b], sh[a] })
				// and deliver a random tenth twice
				sh = append(sh, sh[:len(sh)/10]...)
				orders[fmt.Sprintf("shuffle%d", i)] = sh
			}
			for name, order := range orders {
				fresh := openEnv(t, t.TempDir(), 9, "MAIN", replicatetest.NewClock(monday))
				// Deliver in small batches, as sync would.
				for i := 0; i < len(order); i += 37 {
					_, err := fresh.log.Integrate(context.Background(), order[i:min(i+37, len(order))])
					mustNoErr(t, err)
				}
				if got := fresh.hash(); got != want {
					t.Errorf("order %s: hash %s, want %s", name, got, want)
				}
			}
		})
	}
}
