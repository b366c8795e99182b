package branch_test

import (
	"context"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// TestPolicySnapshotFollowsSync: a rules change that arrives by sync (not
// through this node's commands) is seen by the next checkout, though the
// checkout before it filled the policy snapshot.
func TestPolicySnapshotFollowsSync(t *testing.T) {
	a := newEnv(t)
	b := openEnv(t, t.TempDir(), 2, "MAIN", replicatetest.NewClock(monday))
	a.patron("1001", "ADULT")
	bib := a.title("Persuasion")
	a.item(bib, "I1", "BOOK", "MAIN")
	a.item(bib, "I2", "BOOK", "MAIN")
	res, err := a.checkout("1001", "I1")
	mustNoErr(t, err)
	if got := res.Loan.DueDate; got != "2026-12-14" {
		t.Fatalf("before the change: due %s, want 2026-12-14 (21 days)", got)
	}
	b.clock.Advance(time.Minute) // later than a's rule, so it wins the last-writer-wins merge
	mustNoErr(t, b.svc.SetRule(b.ctx, domain.Rule{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 10, Renewals: 2,
		MaxLoans: 5, FineCents: 25, GraceDays: 2, MaxFineCents: 500, HoldsAllowed: true}))
	ops, err := b.log.Ops(context.Background(), replicate.VersionVector{}, 1000)
	mustNoErr(t, err)
	if _, err := a.log.Integrate(context.Background(), ops); err != nil {
		t.Fatal(err)
	}
	res, err = a.checkout("1001", "I2")
	mustNoErr(t, err)
	if got := res.Loan.DueDate; got != "2026-12-03" {
		t.Fatalf("after the synced change: due %s, want 2026-12-03 (10 days)", got)
	}
}
