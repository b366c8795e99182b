package recommend_test

import (
	"testing"

	"stacks/branch/branchtest"
	"stacks/branch/privacy"
)

// TestDeferredCountBeforeAnonymisation: on a node that counts loans in a
// catch-up pass after the commit (branch.Deferral), loans returned and
// anonymised (privacy's sweep, retention at return) before any pass ran
// still count, as they did when counted inline: an anonymisation first
// runs the passes in its own transaction.
func TestDeferredCountBeforeAnonymisation(t *testing.T) {
	e := openWith(t, branchtest.Options{Node: 1, Deferred: true, NoCatchUpLoop: true}, []string{"Alpha", "Beta"}, 6)
	must(t, e.Service.CatchUp(e.ctx))
	for i := range 5 {
		e.borrow(t, i, true, "Alpha", "Beta")
	}
	if got := e.also(t, "Alpha"); len(got) != 0 {
		t.Fatalf("counted before any catch-up pass: %v", got)
	}
	n, err := privacy.New(e.Service).Sweep(e.ctx, "MAIN")
	must(t, err)
	if n == 0 {
		t.Fatal("the sweep anonymised no loan: the test tests nothing")
	}
	var named int
	must(t, e.Service.Read().QueryRow(`SELECT count(*) FROM loans WHERE patron_id<>''`).Scan(&named))
	if named != 0 {
		t.Fatalf("%d loans still name their patron", named)
	}
	must(t, e.Service.CatchUp(e.ctx))
	if got := e.also(t, "Alpha"); got["Beta"] != 5 {
		t.Fatalf("after the sweep and the catch-up: %v, want Beta borrowed by 5", got)
	}
}
