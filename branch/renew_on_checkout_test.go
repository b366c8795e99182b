package branch_test

import (
	"errors"
	"testing"
	"time"

	"stacks/branch/domain"
)

// TestCheckoutRenewIfOnLoanToPatron: a checkout of an item the patron
// already has renews it inside the one checkout command when asked (a
// kiosk's renewal policy), and is refused otherwise.
func TestCheckoutRenewIfOnLoanToPatron(t *testing.T) {
	renewing := func(card, barcode string) domain.CheckoutRequest {
		return domain.CheckoutRequest{Cardnumber: card, Barcode: barcode, RenewIfOnLoanToPatron: true}
	}
	setup := func(t *testing.T) (*env, *domain.Loan) {
		e := newEnv(t)
		e.patron("1", "ADULT")
		e.patron("2", "ADULT")
		e.item(e.title("A"), "B1", "BOOK", "MAIN")
		res, err := e.checkout("1", "B1")
		mustNoErr(t, err)
		return e, res.Loan
	}
	t.Run("OK", func(t *testing.T) {
		e, loan := setup(t)
		res, err := e.svc.Checkout(e.clerk, renewing("1", "B1"))
		mustNoErr(t, err)
		if !res.Renewed || res.Loan.LoanID != loan.LoanID || res.Loan.Renewals != 1 || res.Loan.DueDate != "2027-01-04" {
			t.Fatalf("renewed %v, loan %+v (was %+v)", res.Renewed, res.Loan, loan)
		}
		if res.Item == nil || res.Item.Barcode != "B1" || res.Patron == nil || res.Patron.Cardnumber != "1" || res.FineCents != 0 {
			t.Fatalf("result %+v", res)
		}
		loans, err := e.svc.PatronLoans(e.ctx, res.Patron.PatronID, false)
		mustNoErr(t, err)
		if len(loans) != 1 {
			t.Fatalf("%d open loans, want the one renewed", len(loans))
		}
	})
	t.Run("OKOverdueCharges", func(t *testing.T) {
		e, _ := setup(t)
		e.clock.Set(time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC))
		res, err := e.svc.Checkout(e.clerk, renewing("1", "B1"))
		mustNoErr(t, err)
		if !res.Renewed || res.FineCents == 0 || res.Loan.DueDate != "2027-01-25" {
			t.Fatalf("overdue renewal %+v fine %d", res.Loan, res.FineCents)
		}
	})
	t.Run("ErrWithoutOption", func(t *testing.T) {
		e, _ := setup(t)
		before := e.hash()
		_, err := e.checkout("1", "B1")
		if domain.ErrorCode(err) != "already_checked_out" {
			t.Fatalf("checkout of one's own loan: %v (%s)", err, domain.ErrorCode(err))
		}
		if e.hash() != before {
			t.Fatal("a refused checkout changed the state")
		}
	})
	t.Run("ErrOtherPatronsLoan", func(t *testing.T) {
		e, _ := setup(t)
		before := e.hash()
		_, err := e.svc.Checkout(e.clerk, renewing("2", "B1"))
		if !errors.Is(err, domain.ErrItemCheckedOut) {
			t.Fatalf("checkout of another patron's loan: %v", err)
		}
		if e.hash() != before {
			t.Fatal("a refused checkout changed the state")
		}
	})
	t.Run("ErrRenewalRules", func(t *testing.T) {
		e, _ := setup(t)
		b := e.title("B")
		e.item(b, "B2", "BOOK", "MAIN")
		_, err := e.checkout("1", "B2")
		mustNoErr(t, err)
		_, err = e.svc.PlaceHold(e.ctx, domain.HoldRequest{Cardnumber: "2", BiblioID: b.BiblioID})
		mustNoErr(t, err)
		before := e.hash()
		_, err = e.svc.Checkout(e.clerk, renewing("1", "B2"))
		if !errors.Is(err, domain.ErrRenewalBlockedHold) {
			t.Fatalf("renewal of a loan another patron waits for: %v", err)
		}
		if e.hash() != before {
			t.Fatal("a refused renewal changed the state")
		}
	})
}
