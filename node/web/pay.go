package web

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"

	"stacks/branch/domain"
	"stacks/node/payments"
)

// PaymentProvider is a card payment provider (package payments' Client
// speaks its protocol; paytest serves it in tests).
type PaymentProvider = payments.Provider

// PaymentStore keeps the node's online payment attempts and turns a paid
// one into the payment op (the branch service).
type PaymentStore = payments.Store

// flow is the online payment flow the web shares with the patron API
// (payments.Flow): the pages here only choose the words.
func (s *Server) flow() *payments.Flow {
	return &payments.Flow{Provider: s.pay, Store: s.store, Currency: s.cfg.Currency}
}

// payForm is what the account page's fees section needs to offer online
// payment.
type payForm struct {
	// Available is false when no provider is configured.
	Available bool
	// Key is this rendering's attempt key: submitting the form twice
	// (a double click, a resubmitted page) is one attempt.
	Key string
	// Outstanding are the fees that can be paid.
	Outstanding []domain.FeeLine
}

func (s *Server) payForm(acct *domain.Account) (*payForm, error) {
	f := &payForm{Available: s.pay != nil}
	for _, l := range acct.Lines {
		if l.Outstanding > 0 {
			f.Outstanding = append(f.Outstanding, l)
		}
	}
	if f.Available && len(f.Outstanding) > 0 {
		b := make([]byte, 16)
		if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
			return nil, err
		}
		f.Key = hex.EncodeToString(b)
	}
	return f, nil
}

// baseURL is how the browser reached this node: the provider sends the
// patron back there, and notifies it there. Behind a trusted proxy that
// terminates TLS it is https (overTLS).
func (s *Server) baseURL(r *http.Request) string {
	scheme := "http"
	if s.overTLS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// startPayment takes the chosen fees (none chosen: the whole balance),
// records the attempt under the form's key, creates the provider's payment
// with the same key, and sends the patron to the provider's checkout page.
// A second submission of the form finds the attempt and goes to the same
// page; nothing is paid until the provider says so.
func (s *Server) startPayment(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	if s.pay == nil {
		s.showAccountStatus(w, r, rq, http.StatusServiceUnavailable, nil, []string{rq.p.T("pay.not_configured")})
		return
	}
	acct, err := s.lib.Account(rq.ctx, rq.patron.PatronID)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	fees := payments.Outstanding(acct, r.PostForm["fee"])
	key := r.PostForm.Get("attempt")
	if len(fees) == 0 && key != "" {
		// Perhaps the fees are paid because this very form was sent
		// before: show how that attempt went.
		if op, err := s.store.OnlinePayment(rq.ctx, key); err == nil && op.PatronID == rq.patron.PatronID {
			s.payResult(w, r, rq, op, nil)
			return
		}
	}
	if len(fees) == 0 {
		s.showAccountStatus(w, r, rq, http.StatusUnprocessableEntity, nil, []string{rq.p.T("pay.nothing")})
		return
	}
	base := s.baseURL(r)
	op, err := s.flow().Start(rq.ctx, rq.patron.PatronID, key, fees, payments.Intent{
		Description: rq.p.T("pay.description", s.brand.Name), ReturnURL: base + "/account/pay/return?attempt=" + url.QueryEscape(key),
		NotifyURL: base + notifyPath})
	var e *domain.Error
	switch {
	case err == nil:
	case errors.Is(err, payments.ErrProviderFailed):
		s.lg.Warn("payment provider", "err", err)
		s.showAccountStatus(w, r, rq, http.StatusServiceUnavailable, nil, []string{rq.p.T("pay.unavailable")})
		return
	case errors.Is(err, payments.ErrMismatch):
		s.lg.Error("payment provider answered another payment", "err", err)
		s.showAccountStatus(w, r, rq, http.StatusBadGateway, nil, []string{rq.p.T("pay.unavailable")})
		return
	case asDomainError(err, &e) && op == nil:
		s.showAccountStatus(w, r, rq, http.StatusUnprocessableEntity, nil, []string{rq.p.T("pay.changed")})
		return
	default:
		s.failErr(w, r, rq, err)
		return
	}
	s.goToProvider(w, r, rq, op)
}

// goToProvider sends the patron to the attempt's checkout page, or, when
// it has ended, shows how.
func (s *Server) goToProvider(w http.ResponseWriter, r *http.Request, rq *request, op *domain.OnlinePayment) {
	if op.Final() || !s.checkoutURLOK(op.CheckoutURL) {
		s.payResult(w, r, rq, op, nil)
		return
	}
	http.Redirect(w, r, op.CheckoutURL, http.StatusSeeOther)
}

func (s *Server) checkoutURLOK(u string) bool {
	return s.pay != nil && s.flow().CheckoutURLOK(u)
}

// payReturn is where the provider sends the patron back. The browser's
// word is not taken: the node asks the provider how the payment stands
// and records it (once, however often the page is loaded).
func (s *Server) payReturn(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.patron == nil {
		// The session may have lapsed at the provider's: come back here,
		// attempt and all, after logging in.
		http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if s.pay == nil {
		s.showAccountStatus(w, r, rq, http.StatusServiceUnavailable, nil, []string{rq.p.T("pay.not_configured")})
		return
	}
	op, err := s.store.OnlinePayment(rq.ctx, r.URL.Query().Get("attempt"))
	if err != nil || op.PatronID != rq.patron.PatronID {
		s.fail(w, r, rq, http.StatusNotFound, rq.p.T("pay.not_found"))
		return
	}
	op, err = s.flow().Reconcile(rq.ctx, op, nil)
	s.payResult(w, r, rq, op, err)
}

// payResult shows the account with what became of an attempt.
func (s *Server) payResult(w http.ResponseWriter, r *http.Request, rq *request, op *domain.OnlinePayment, err error) {
	if err != nil {
		s.lg.Warn("payment not confirmed", "attempt", op.Key, "err", err)
		s.showAccountStatus(w, r, rq, http.StatusOK, []string{rq.p.T("pay.unconfirmed")}, nil)
		return
	}
	switch op.Status {
	case domain.OnlinePaid:
		s.showAccountStatus(w, r, rq, http.StatusOK, []string{rq.p.T("pay.paid", rq.p.Money(op.AmountCents))}, nil)
	case domain.OnlineDeclined:
		s.showAccountStatus(w, r, rq, http.StatusOK, nil, []string{rq.p.T("pay.declined")})
	case domain.OnlineCancelled:
		s.showAccountStatus(w, r, rq, http.StatusOK, nil, []string{rq.p.T("pay.cancelled")})
	case domain.OnlineStarted:
		s.showAccountStatus(w, r, rq, http.StatusOK, nil, []string{rq.p.T("pay.unavailable")})
	default:
		s.showAccountStatus(w, r, rq, http.StatusOK, []string{rq.p.T("pay.pending")}, nil)
	}
}

const notifyPath = "/payments/notify"

// notify takes the provider's signed notification that a payment ended,
// server to server: no session, no CSRF token, the signature instead. A
// replayed notification finds the attempt ended and changes nothing.
func (s *Server) notify() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.pay == nil {
			http.Error(w, "online payment is not configured", http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		op, err := s.flow().Notified(r.Context(), r.Header.Get(payments.SignatureHeader), body, s.lib.Now(),
			func(ctx context.Context, op *domain.OnlinePayment) context.Context {
				return domain.WithActor(ctx, domain.Actor{ID: "patron:" + op.PatronID, Role: domain.RolePatron, Channel: domain.ChannelWeb})
			})
		switch {
		case errors.Is(err, payments.ErrNoSuchPayment):
			http.Error(w, "no such payment", http.StatusNotFound)
			return
		case op == nil && err != nil:
			s.lg.Warn("payment notification refused", "err", err)
			http.Error(w, "bad notification", http.StatusBadRequest)
			return
		case err != nil:
			s.lg.Error("payment notification", "attempt", op.Key, "err", err)
			http.Error(w, "not recorded", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// showAccountStatus renders the account page with what a payment said.
func (s *Server) showAccountStatus(w http.ResponseWriter, r *http.Request, rq *request, status int, notices, problems []string) {
	d, err := s.accountData(rq)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	s.render(w, r, rq, status, "account", rq.p.T("account.title"), d, notices, problems)
}
