package recommend_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/patronprefs"
	"stacks/branch/recommend"
)

// The evaluation: a borrowing history with taste clusters, generated from
// a fixed seed, lent through the real service (so the model is counted by
// its Touched hook as in branchd); each patron's last loans are held
// back; precision@10 of the personal suggestions (co-occurrence, popular
// titles to fill) against the most borrowed titles they did not borrow.
const (
	evalTitles   = 300
	evalClusters = 10
	evalPatrons  = 200
	evalVisits   = 4 // visits a patron makes, 3 titles each
	evalPerVisit = 3
	evalHeldBack = 1 // visits held back
	evalTaste    = 0.8
	evalSeed     = 19
)

// TestEvaluatePrecisionAt10 runs only with STACKS_RECOMMEND_EVAL=1 (it
// lends a few thousand loans); it logs the figures for BENCHMARKS.md.
func TestEvaluatePrecisionAt10(t *testing.T) {
	if os.Getenv("STACKS_RECOMMEND_EVAL") == "" {
		t.Skip("set STACKS_RECOMMEND_EVAL=1 to run the evaluation")
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(evalSeed, evalSeed))
	// Titles: cluster c holds titles c, c+10, ...; within a cluster and
	// overall, lower ranks are more popular (Zipf-like weights).
	zipf := func(n int) int {
		// weight of rank r is 1/(r+1): sample by inverse of the harmonic sum.
		h := 0.0
		for r := range n {
			h += 1 / float64(r+1)
		}
		x := rng.Float64() * h
		for r := range n {
			x -= 1 / float64(r+1)
			if x <= 0 {
				return r
			}
		}
		return n - 1
	}
	perCluster := evalTitles / evalClusters
	type patron struct {
		visits [][]int
	}
	var ps []patron
	for range evalPatrons {
		c := rng.IntN(evalClusters)
		seen := map[int]bool{}
		var p patron
		for range evalVisits {
			var v []int
			for len(v) < evalPerVisit {
				var title int
				if rng.Float64() < evalTaste {
					title = c + evalClusters*zipf(perCluster)
				} else {
					title = zipf(evalTitles)
				}
				if !seen[title] {
					seen[title] = true
					v = append(v, title)
				}
			}
			p.visits = append(p.visits, v)
		}
		ps = append(ps, p)
	}

	e := branchtest.Open(t, branchtest.Options{})
	ctx := branchtest.Admin(context.Background())
	svc := e.Service
	branchtest.SeedPolicy(t, ctx, svc)
	ids := make([]string, evalTitles)
	names := map[string]int{}
	for i := range evalTitles {
		b, err := svc.AddBiblio(ctx, domain.NewBiblio{Title: fmt.Sprintf("Title %03d", i)})
		must(t, err)
		ids[i] = b.BiblioID
		names[b.BiblioID] = i
		_, err = svc.AddItem(ctx, domain.NewItem{Barcode: fmt.Sprintf("T%03d", i), BiblioID: b.BiblioID, ItemType: "BOOK"})
		must(t, err)
	}
	prefs := patronprefs.New(svc)
	pids := make([]string, evalPatrons)
	trainCount := make([]int, evalTitles)
	for i, p := range ps {
		pat, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: fmt.Sprintf("21000000%06d", i), Firstname: "R", Surname: fmt.Sprint(i),
			Category: "ADULT", PIN: "1234"})
		must(t, err)
		pids[i] = pat.PatronID
		must(t, prefs.SetSuggestions(ctx, pat.PatronID, true))
		for _, v := range p.visits[:evalVisits-evalHeldBack] {
			for _, title := range v {
				_, err := svc.Checkout(ctx, domain.CheckoutRequest{PatronID: pat.PatronID, Barcode: fmt.Sprintf("T%03d", title)})
				must(t, err)
				trainCount[title]++
			}
			e.Clock.Advance(time.Hour)
			for _, title := range v {
				_, err := svc.Checkin(ctx, domain.CheckinRequest{Barcode: fmt.Sprintf("T%03d", title)})
				must(t, err)
			}
		}
	}
	lent := time.Since(start)
	// The baseline: the most borrowed titles in training, by loans.
	byPop := make([]int, evalTitles)
	for i := range byPop {
		byPop[i] = i
	}
	slices.SortStableFunc(byPop, func(a, b int) int { return trainCount[b] - trainCount[a] })
	rec := recommend.New(svc)
	var pCo, pPop float64
	coOnly := 0
	for i, p := range ps {
		held := map[int]bool{}
		for _, v := range p.visits[evalVisits-evalHeldBack:] {
			for _, title := range v {
				held[title] = true
			}
		}
		borrowed := map[int]bool{}
		for _, v := range p.visits[:evalVisits-evalHeldBack] {
			for _, title := range v {
				borrowed[title] = true
			}
		}
		r, err := rec.ForPatron(ctx, pids[i], 10)
		must(t, err)
		hits := 0
		for _, x := range r.Titles {
			if held[names[x.BiblioID]] {
				hits++
			}
			if x.Basis == domain.BasisAlsoBorrowed {
				coOnly++
			}
		}
		pCo += float64(hits) / 10
		hits, n := 0, 0
		for _, title := range byPop {
			if n == 10 {
				break
			}
			if borrowed[title] {
				continue
			}
			n++
			if held[title] {
				hits++
			}
		}
		pPop += float64(hits) / 10
	}
	pCo /= evalPatrons
	pPop /= evalPatrons
	t.Logf("titles %d in %d clusters, patrons %d, %d visits of %d titles (taste %.1f), last %d visit(s) held back, seed %d",
		evalTitles, evalClusters, evalPatrons, evalVisits, evalPerVisit, evalTaste, evalHeldBack, evalSeed)
	t.Logf("precision@10: co-occurrence %.4f, most popular %.4f (x%.2f); %.1f of 10 suggestions by co-occurrence on average",
		pCo, pPop, pCo/math.Max(pPop, 1e-9), float64(coOnly)/evalPatrons)
	t.Logf("lending the history took %s, evaluating %s", lent.Round(time.Millisecond), (time.Since(start) - lent).Round(time.Millisecond))
	if pCo <= pPop {
		t.Errorf("co-occurrence %.4f is no better than popularity %.4f", pCo, pPop)
	}
}
