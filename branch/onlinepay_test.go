package branch_test

import (
	"errors"
	"testing"

	"stacks/branch/domain"
)

func TestOnlinePayment(t *testing.T) {
	e := newEnv(t)
	p := e.patron("1", "ADULT")
	other := e.patron("2", "ADULT")
	web := domain.WithActor(e.ctx, domain.Actor{ID: "patron:" + p.PatronID, Role: domain.RolePatron, Channel: domain.ChannelWeb})
	_, err := e.svc.Charge(e.ctx, p.PatronID, domain.ChargeRequest{AmountCents: 300, Description: "Damage"})
	mustNoErr(t, err)
	acct, err := e.svc.Charge(e.ctx, p.PatronID, domain.ChargeRequest{AmountCents: 200, Description: "Damage"})
	mustNoErr(t, err)
	a, b := acct.Lines[0].LineID, acct.Lines[1].LineID
	key := "0123456789abcdef0123456789abcdef"

	t.Run("ErrBadInput", func(t *testing.T) {
		for name, c := range map[string]struct {
			key  string
			fees []domain.FeeAmount
		}{
			"short key": {"abc", []domain.FeeAmount{{FeeID: a, AmountCents: 300}}},
			"no fees":   {key, nil},
			"too much":  {key, []domain.FeeAmount{{FeeID: a, AmountCents: 301}}},
			"not owed":  {key, []domain.FeeAmount{{FeeID: "nope", AmountCents: 1}}},
			"twice":     {key, []domain.FeeAmount{{FeeID: a, AmountCents: 1}, {FeeID: a, AmountCents: 1}}},
		} {
			if _, err := e.svc.StartOnlinePayment(web, p.PatronID, c.key, c.fees); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
	})

	op, err := e.svc.StartOnlinePayment(web, p.PatronID, key, []domain.FeeAmount{{FeeID: a, AmountCents: 300}, {FeeID: b, AmountCents: 150}})
	mustNoErr(t, err)
	if op.AmountCents != 450 || op.Status != domain.OnlineStarted {
		t.Fatalf("started %+v", op)
	}
	again, err := e.svc.StartOnlinePayment(web, p.PatronID, key, []domain.FeeAmount{{FeeID: a, AmountCents: 1}})
	mustNoErr(t, err)
	if again.AmountCents != 450 || len(again.Fees) != 2 {
		t.Fatalf("a second start with the key changed the attempt: %+v", again)
	}
	if _, err := e.svc.StartOnlinePayment(web, other.PatronID, key, []domain.FeeAmount{{FeeID: a, AmountCents: 1}}); !errors.Is(err, domain.ErrFeeNotFound) {
		t.Fatalf("another patron's key: %v", err)
	}
	// Without the provider's payment it cannot finish.
	op, err = e.svc.FinishOnlinePayment(web, key, domain.OnlinePaid)
	mustNoErr(t, err)
	if op.Status != domain.OnlineStarted {
		t.Fatalf("finished without a provider payment: %+v", op)
	}
	op, err = e.svc.SetOnlinePaymentProvider(web, key, "pay_1", "http://pay/checkout/pay_1")
	mustNoErr(t, err)
	op, err = e.svc.SetOnlinePaymentProvider(web, key, "pay_2", "http://pay/checkout/pay_2")
	mustNoErr(t, err)
	if op.Status != domain.OnlinePending || op.ProviderID != "pay_1" {
		t.Fatalf("pending %+v", op)
	}
	before := e.hash()
	for range 3 { // a replayed callback and a reloaded page pay once
		op, err = e.svc.FinishOnlinePayment(web, key, domain.OnlinePaid)
		mustNoErr(t, err)
	}
	if op.Status != domain.OnlinePaid {
		t.Fatalf("paid %+v", op)
	}
	if e.hash() == before {
		t.Fatal("the payment changed no state")
	}
	acct, err = e.svc.Account(e.ctx, p.PatronID)
	mustNoErr(t, err)
	if acct.BalanceCents != 50 {
		t.Fatalf("balance %d, want 50", acct.BalanceCents)
	}
	var paid int
	for _, l := range acct.Lines {
		if l.Kind == "payment" {
			paid++
			if l.Method != "online" {
				t.Fatalf("payment line %+v", l)
			}
		}
	}
	if paid != 2 {
		t.Fatalf("%d payment lines, want 2", paid)
	}
	// A declined verdict after payment changes nothing.
	op, err = e.svc.FinishOnlinePayment(web, key, domain.OnlineDeclined)
	mustNoErr(t, err)
	if op.Status != domain.OnlinePaid {
		t.Fatalf("status %s", op.Status)
	}
}

func TestOnlinePaymentDeclinedAndOverpaid(t *testing.T) {
	e := newEnv(t)
	p := e.patron("1", "ADULT")
	web := domain.WithActor(e.ctx, domain.Actor{ID: "patron:" + p.PatronID, Role: domain.RolePatron, Channel: domain.ChannelWeb})
	acct, err := e.svc.Charge(e.ctx, p.PatronID, domain.ChargeRequest{AmountCents: 300, Description: "Damage"})
	mustNoErr(t, err)
	fee := acct.Lines[0].LineID
	k1, k2 := "declined-attempt-0000000000000001", "paid-attempt-00000000000000000002"
	for _, k := range []string{k1, k2} {
		_, err = e.svc.StartOnlinePayment(web, p.PatronID, k, []domain.FeeAmount{{FeeID: fee, AmountCents: 300}})
		mustNoErr(t, err)
		_, err = e.svc.SetOnlinePaymentProvider(web, k, "pay_"+k, "")
		mustNoErr(t, err)
	}
	op, err := e.svc.FinishOnlinePayment(web, k1, domain.OnlineDeclined)
	mustNoErr(t, err)
	if op.Status != domain.OnlineDeclined {
		t.Fatalf("status %s", op.Status)
	}
	op, err = e.svc.FinishOnlinePayment(web, k1, domain.OnlinePaid)
	mustNoErr(t, err)
	if op.Status != domain.OnlineDeclined {
		t.Fatalf("a declined attempt became %s", op.Status)
	}
	// Paid at the desk meanwhile: the online money is recorded too, and the
	// credit is the overpayment conflict.
	_, err = e.svc.Pay(e.clerk, p.PatronID, domain.PaymentRequest{AmountCents: 300, Method: "cash"})
	mustNoErr(t, err)
	_, err = e.svc.FinishOnlinePayment(web, k2, domain.OnlinePaid)
	mustNoErr(t, err)
	acct, err = e.svc.Account(e.ctx, p.PatronID)
	mustNoErr(t, err)
	if acct.BalanceCents != -300 {
		t.Fatalf("balance %d, want -300", acct.BalanceCents)
	}
	cs, err := e.svc.Conflicts(e.ctx, "open")
	mustNoErr(t, err)
	if len(cs) != 1 || cs[0].Kind != domain.ConflictOverpayment {
		t.Fatalf("conflicts %+v", cs)
	}
}
