package httpapi

import (
	"errors"
	"net/http"
	"net/url"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/node/payments"
)

// Online payments through the patron API: the same flow as the patron
// web's "pay online" (payments.Flow), with the app's Idempotency-Key as
// the attempt's key, so a double submit is one attempt and pays once. The
// app sends the patron to redirect_url (the provider's page); the provider
// notifies the node (the web's /payments/notify, on this listener) and
// GET .../payments/{id} asks the provider too, so the app learns the
// outcome either way.

func (a *API) paymentRoutes() {
	a.handle("POST /api/v1/patron/payments", a.startMyPayment)
	a.handle("GET /api/v1/patron/payments/{id}", a.myPayment)
}

// idempotencyKeyHeader names the attempt (16 to 64 letters, digits, - or _).
const idempotencyKeyHeader = "Idempotency-Key"

var errPaymentsOff = &apiError{code: CodePaymentsOff, detail: "Online payment is not offered here; fees can be paid at any desk or kiosk."}

func (a *API) flow() *payments.Flow {
	return &payments.Flow{Provider: a.provider, Store: a.svc, Currency: a.currency}
}

// requestBase is how the caller reached this node.
func requestBase(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func (a *API) startMyPayment(w http.ResponseWriter, r *http.Request) error {
	if a.provider == nil {
		return errPaymentsOff
	}
	key := r.Header.Get(idempotencyKeyHeader)
	if key == "" {
		return badRequest("The %s header is required: a random key of 16 to 64 letters, digits, - or _, the same when the request is sent again.", idempotencyKeyHeader)
	}
	var req apitype.PatronPaymentRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	ret := requestBase(r) + "/account"
	if req.ReturnURL != "" {
		u, err := url.Parse(req.ReturnURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(req.ReturnURL) > 1000 {
			return badRequest("return_url must be an absolute http or https URL.")
		}
		ret = req.ReturnURL
	}
	ctx, id := r.Context(), me(r)
	// A key used before names its attempt, whatever is owed now: the same
	// request sent again goes on where the first left off.
	var fees []domain.FeeAmount
	before, err := a.svc.OnlinePayment(ctx, key)
	if err == nil {
		if before.PatronID != id {
			return domain.Fail(domain.CodeFeeNotFound, "No such payment.")
		}
		fees = before.Fees
	} else {
		acct, err := a.svc.Account(ctx, id)
		if err != nil {
			return err
		}
		fees = payments.Outstanding(acct, req.ChargeIDs)
		if len(fees) != len(req.ChargeIDs) && len(req.ChargeIDs) > 0 {
			return domain.Fail(domain.CodeFeeNotFound, "Some of the charges named are not outstanding charges of yours.")
		}
		if len(fees) == 0 {
			return domain.Fail(domain.CodeBadAmount, "You have nothing to pay.")
		}
	}
	desc := paymentDescription["en"]
	if p, err := a.svc.Patron(ctx, id); err == nil && paymentDescription[p.Language] != "" {
		desc = paymentDescription[p.Language]
	}
	op, err := a.flow().Start(ctx, id, key, fees, payments.Intent{Description: desc, ReturnURL: ret,
		NotifyURL: requestBase(r) + "/payments/notify"})
	switch {
	case errors.Is(err, payments.ErrProviderFailed) || errors.Is(err, payments.ErrMismatch):
		a.lg.Warn("payment provider", logErr, err)
		return &apiError{code: CodePaymentUnavailable, detail: "The payment service cannot be reached just now. Please try again later; nothing has been paid."}
	case err != nil:
		return err
	}
	if before != nil {
		return writeJSON(w, http.StatusOK, a.paymentOf(op))
	}
	return created(w, "/api/v1/patron/payments/"+url.PathEscape(op.Key), a.paymentOf(op))
}

// paymentDescription is what the provider's page says is paid, in the
// patron's language.
var paymentDescription = map[string]string{"en": "Library fees", "fi": "Kirjaston maksut"}

func (a *API) myPayment(w http.ResponseWriter, r *http.Request) error {
	if a.provider == nil {
		return errPaymentsOff
	}
	ctx := r.Context()
	op, err := a.svc.OnlinePayment(ctx, r.PathValue("id"))
	if err != nil || op.PatronID != me(r) {
		return domain.Fail(domain.CodeFeeNotFound, "No such payment.")
	}
	if now, err := a.flow().Reconcile(ctx, op, nil); err != nil {
		a.lg.Warn("payment status not confirmed by the provider", logErr, err)
	} else {
		op = now
	}
	return writeJSON(w, http.StatusOK, a.paymentOf(op))
}

func (a *API) paymentOf(op *domain.OnlinePayment) apitype.PatronPayment {
	p := apitype.PatronPayment{ID: op.Key, Status: op.Status, Amount: a.money(op.AmountCents), Charges: []apitype.PatronPaymentCharge{},
		CreatedAt: op.CreatedAt, UpdatedAt: op.UpdatedAt}
	for _, f := range op.Fees {
		p.Charges = append(p.Charges, apitype.PatronPaymentCharge{ChargeID: f.FeeID, Amount: a.money(f.AmountCents)})
	}
	if !op.Final() && a.flow().CheckoutURLOK(op.CheckoutURL) {
		p.RedirectURL = op.CheckoutURL
	}
	return p
}
