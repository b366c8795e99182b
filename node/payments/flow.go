package payments

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strings"
	"time"

	"stacks/branch/domain"
)

// The flow of an online payment, shared by every channel that offers one
// (the patron web's form, the patron API): choose the fees, record the
// attempt under its idempotency key, create the provider's payment with the
// same key, send the patron to the provider's page, and record the outcome
// when the provider says how it went (asked, or notified). A second start
// with the same key finds the attempt and its page; nothing is paid until
// the provider says so, and then once (branch's FinishOnlinePayment).

// Provider is a card payment provider (*Client speaks its protocol;
// paytest serves it in tests).
type Provider interface {
	CreatePayment(ctx context.Context, in Intent) (*Payment, error)
	Payment(ctx context.Context, id string) (*Payment, error)
	VerifyNotification(sig string, body []byte, now time.Time) (*Payment, error)
	// Origin is where the provider's checkout pages are.
	Origin() string
}

var _ Provider = (*Client)(nil)

// Store keeps the node's online payment attempts and turns a paid one
// into the payment op (the branch service).
type Store interface {
	StartOnlinePayment(ctx context.Context, patronID, key string, fees []domain.FeeAmount) (*domain.OnlinePayment, error)
	SetOnlinePaymentProvider(ctx context.Context, key, providerID, checkoutURL string) (*domain.OnlinePayment, error)
	OnlinePayment(ctx context.Context, key string) (*domain.OnlinePayment, error)
	FinishOnlinePayment(ctx context.Context, key, status string) (*domain.OnlinePayment, error)
}

// Flow runs online payments against one provider and one store.
type Flow struct {
	Provider Provider
	Store    Store
	// Currency is the ISO 4217 code of the amounts.
	Currency string
}

var (
	// ErrProviderFailed is a provider that could not create the payment.
	ErrProviderFailed = errors.New("payments: the provider could not create the payment")
	// ErrMismatch is a provider that answered with another payment than
	// the one asked for.
	ErrMismatch = errors.New("payments: the provider answered another payment")
	// ErrNoSuchPayment is a notification of a payment this node did not
	// start.
	ErrNoSuchPayment = errors.New("payments: no such payment")
)

// Outstanding are the fees of acct to pay: the outstanding ones among
// chosen (their line IDs), or every outstanding one when none is chosen.
func Outstanding(acct *domain.Account, chosen []string) []domain.FeeAmount {
	want := map[string]bool{}
	for _, id := range chosen {
		want[id] = true
	}
	var fees []domain.FeeAmount
	for _, l := range acct.Lines {
		if l.Outstanding > 0 && (len(want) == 0 || want[l.LineID]) {
			fees = append(fees, domain.FeeAmount{FeeID: l.LineID, AmountCents: l.Outstanding})
		}
	}
	return fees
}

// Start records the attempt to pay fees under key (or finds the one
// recorded before) and, if it has no provider payment yet, creates one
// from in (its reference, amount and currency are the attempt's). Refusals
// of the store are *domain.Error; a provider failure is ErrProviderFailed,
// a provider answering another payment ErrMismatch.
func (f *Flow) Start(ctx context.Context, patronID, key string, fees []domain.FeeAmount, in Intent) (*domain.OnlinePayment, error) {
	op, err := f.Store.StartOnlinePayment(ctx, patronID, key, fees)
	if err != nil {
		return nil, err
	}
	if op.Status != domain.OnlineStarted {
		return op, nil
	}
	in.Reference, in.AmountCents, in.Currency = op.Key, op.AmountCents, f.Currency
	p, err := f.Provider.CreatePayment(ctx, in)
	if err != nil {
		return op, fmt.Errorf("%w: %w", ErrProviderFailed, err)
	}
	if p.Reference != op.Key || p.AmountCents != op.AmountCents || !f.CheckoutURLOK(p.CheckoutURL) {
		return op, fmt.Errorf("%w: provider payment %s", ErrMismatch, p.ID)
	}
	return f.Store.SetOnlinePaymentProvider(ctx, op.Key, p.ID, p.CheckoutURL)
}

// CheckoutURLOK reports whether u is a page of the provider's.
func (f *Flow) CheckoutURLOK(u string) bool {
	return f.Provider != nil && strings.HasPrefix(u, f.Provider.Origin()+"/")
}

// Reconcile brings an attempt up to date with the provider's payment p
// (asked for when nil). An ended attempt, or one without a provider
// payment, is returned as it is.
func (f *Flow) Reconcile(ctx context.Context, op *domain.OnlinePayment, p *Payment) (*domain.OnlinePayment, error) {
	if op.Final() || op.ProviderID == "" {
		return op, nil
	}
	if p == nil {
		var err error
		if p, err = f.Provider.Payment(ctx, op.ProviderID); err != nil {
			return op, err
		}
	}
	if p.ID != op.ProviderID || p.Reference != op.Key || p.AmountCents != op.AmountCents {
		return op, ErrMismatch
	}
	status := ""
	switch p.Status {
	case StatusSucceeded:
		status = domain.OnlinePaid
	case StatusDeclined:
		status = domain.OnlineDeclined
	case StatusCancelled:
		status = domain.OnlineCancelled
	default:
		return op, nil
	}
	return f.Store.FinishOnlinePayment(ctx, op.Key, status)
}

// Notified takes the provider's signed notification that a payment ended
// and records it; the attempt as it now stands. ErrSignature for a bad
// signature, ErrNoSuchPayment for a payment this node did not start. act
// gives the context that records the outcome (acting as the attempt's
// patron).
func (f *Flow) Notified(ctx context.Context, sig string, body []byte, now time.Time, act func(context.Context, *domain.OnlinePayment) context.Context) (*domain.OnlinePayment, error) {
	p, err := f.Provider.VerifyNotification(sig, body, now)
	if err != nil {
		return nil, err
	}
	op, err := f.Store.OnlinePayment(ctx, p.Reference)
	if err != nil || !hmac.Equal([]byte(op.ProviderID), []byte(p.ID)) {
		return nil, ErrNoSuchPayment
	}
	return f.Reconcile(act(ctx, op), op, p)
}
