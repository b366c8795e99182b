package payments_test

import (
	"testing"

	"stacks/branch/domain"
	"stacks/node/payments"
)

// TestOutstanding: the chosen outstanding fees, or all of them when none is
// chosen; paid fees and fees not chosen are left out.
func TestOutstanding(t *testing.T) {
	acct := &domain.Account{Lines: []domain.FeeLine{
		{LineID: "a", Outstanding: 100}, {LineID: "b", Outstanding: 0}, {LineID: "c", Outstanding: 250},
	}}
	if got := payments.Outstanding(acct, nil); len(got) != 2 || got[0].FeeID != "a" || got[1].FeeID != "c" || got[1].AmountCents != 250 {
		t.Errorf("all: %+v", got)
	}
	if got := payments.Outstanding(acct, []string{"c", "b", "zz"}); len(got) != 1 || got[0].FeeID != "c" {
		t.Errorf("chosen: %+v", got)
	}
}
