package branch_test

import (
	"testing"

	"stacks/branch/domain"
)

func TestSmokeCheckoutCheckin(t *testing.T) {
	e := newEnv(t)
	p := e.patron("1001", "ADULT")
	b := e.title("Middlemarch")
	e.item(b, "3001", "BOOK", "MAIN")
	res, err := e.checkout(p.Cardnumber, "3001")
	mustNoErr(t, err)
	// Monday + 21 days = Monday 2026-12-14, open.
	if res.Loan.DueDate != "2026-12-14" {
		t.Fatalf("due %s", res.Loan.DueDate)
	}
	it, _ := e.svc.ItemByBarcode(e.ctx, "3001")
	if it.Status != domain.ItemCheckedOut {
		t.Fatalf("status %s", it.Status)
	}
	ci, err := e.svc.Checkin(e.clerk, domain.CheckinRequest{Barcode: "3001"})
	mustNoErr(t, err)
	if ci.Action != domain.ActionShelve || ci.Item.Status != domain.ItemAvailable {
		t.Fatalf("checkin %+v", ci)
	}
}
