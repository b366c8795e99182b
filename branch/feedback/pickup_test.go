package feedback_test

import (
	"bytes"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/branch/handoff"
)

// TestHoldPickupInvites: picking up ready holds with a handoff code (at
// the desk or a kiosk) invites the patron about the pickup, on the
// channel it happened on; the invitation is pending (the web account
// offers it) until the loan it made is returned.
func TestHoldPickupInvites(t *testing.T) {
	e := open(t, 1, time.Hour)
	h, err := handoff.New(e.Service, handoff.Config{Key: bytes.Repeat([]byte{7}, 32), Feedback: e.fb})
	must(t, err)
	bob, err := e.Service.RegisterPatron(e.ctx, domain.NewPatron{Cardnumber: "21000000000088", Surname: "Baker", Category: "ADULT", PIN: "1234"})
	must(t, err)
	r, err := e.Service.Checkout(e.ctx, domain.CheckoutRequest{PatronID: bob.PatronID, Barcode: "B-1"})
	must(t, err)
	it, err := e.Service.Item(e.ctx, r.Loan.ItemID)
	must(t, err)
	_, err = e.Service.PlaceHold(e.ctx, domain.HoldRequest{PatronID: e.alice.PatronID, BiblioID: it.BiblioID, PickupBranch: "MAIN"})
	must(t, err)
	_, err = e.Service.Checkin(e.ctx, domain.CheckinRequest{Barcode: "B-1"}) // trapped for Alice: ready
	must(t, err)
	kiosk := domain.WithActor(e.ctx, domain.Actor{ID: "kiosk1", Role: domain.RoleKiosk, Channel: domain.ChannelKiosk})
	ps, err := h.PickupReadyHolds(kiosk, e.alice.PatronID)
	must(t, err)
	if len(ps) != 1 || ps[0].Checkout == nil {
		t.Fatalf("pickups %+v", ps)
	}
	pend, err := e.fb.Pending(e.ctx, e.alice.PatronID)
	must(t, err)
	if len(pend) != 1 || pend[0].Kind != domain.FeedbackHoldPickup || pend[0].Channel != domain.ChannelKiosk || pend[0].Ref != ps[0].Checkout.LoanID {
		t.Fatalf("pending %+v", pend)
	}
	_, err = e.Service.Checkin(e.ctx, domain.CheckinRequest{Barcode: "B-1"})
	must(t, err)
	if pend, _ := e.fb.Pending(e.ctx, e.alice.PatronID); len(pend) != 0 {
		t.Fatalf("pending after the return %+v", pend)
	}
}
