package branch_test

import (
	"testing"

	"stacks/branch"
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
	if it.Status != branch.ItemCheckedOut {
		t.Fatalf("status %s", it.Status)
	}
	ci, err := e.svc.Checkin(e.clerk, branch.CheckinRequest{Barcode: "3001"})
	mustNoErr(t, err)
	if ci.Action != branch.ActionShelve || ci.Item.Status != branch.ItemAvailable {
		t.Fatalf("checkin %+v", ci)
	}
}
