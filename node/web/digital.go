package web

import (
	"context"
	"net/http"

	"stacks/branch/domain"
)

// Digital is what the web needs of digital lending (branch/digital): in a
// cluster its requests are decided by central, which the node's service
// reaches for us. lang is the patron's language for what central says.
type Digital interface {
	Borrow(ctx context.Context, req domain.DigitalRequest, lang string) (*domain.DigitalResult, error)
	Return(ctx context.Context, req domain.DigitalRequest, lang string) (*domain.DigitalResult, error)
	Renew(ctx context.Context, req domain.DigitalRequest, lang string) (*domain.DigitalResult, error)
	PlaceHold(ctx context.Context, req domain.DigitalRequest, lang string) (*domain.DigitalResult, error)
	CancelHold(ctx context.Context, req domain.DigitalRequest, lang string) (*domain.DigitalResult, error)
	PatronLoans(ctx context.Context, patronID string, history bool) ([]*domain.DigitalLoan, error)
	Loan(ctx context.Context, id string) (*domain.DigitalLoan, error)
	PatronHolds(ctx context.Context, patronID string) ([]*domain.DigitalHold, error)
	Hold(ctx context.Context, id string) (*domain.DigitalHold, error)
}

func (s *Server) registerDigital(h func(string, func(http.ResponseWriter, *http.Request, *request))) {
	if s.cfg.Digital == nil {
		return
	}
	h("POST /titles/{id}/borrow", s.digitalBorrow)
	h("POST /titles/{id}/digital-hold", s.digitalHold)
	h("POST /account/digital/{id}/return", s.digitalReturn)
	h("POST /account/digital/{id}/renew", s.digitalRenew)
	h("POST /account/digital-holds/{id}/cancel", s.digitalCancel)
}

// digitalTitle is what the title page shows of a digital title to a
// logged-in patron: their loan or place in the queue.
type digitalTitle struct {
	Loan *domain.DigitalLoan
	Hold *domain.DigitalHold
}

func (s *Server) digitalOf(rq *request, biblioID string) (*digitalTitle, error) {
	d := &digitalTitle{}
	if rq.patron == nil {
		return d, nil
	}
	ls, err := s.cfg.Digital.PatronLoans(rq.ctx, rq.patron.PatronID, false)
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		if l.BiblioID == biblioID {
			d.Loan = l
		}
	}
	hs, err := s.cfg.Digital.PatronHolds(rq.ctx, rq.patron.PatronID)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		if h.BiblioID == biblioID {
			d.Hold = h
		}
	}
	return d, nil
}

// digitalAction does a digital request for the patron and shows the page
// back (the title page for a title, else the account) with what happened.
func (s *Server) digitalAction(w http.ResponseWriter, r *http.Request, rq *request, titleID string, do func() (string, error)) {
	if s.needLogin(w, r, rq) {
		return
	}
	var notices, problems []string
	msg, err := do()
	if err != nil {
		var e *domain.Error
		if !asDomainError(err, &e) {
			s.failErr(w, r, rq, err)
			return
		}
		problems = rq.p.Refusal(err)
	} else {
		notices = []string{msg}
	}
	if titleID == "" {
		s.showAccount(w, r, rq, notices, problems)
		return
	}
	d, err := s.titleData(rq, titleID)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	status := http.StatusOK
	if len(problems) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, rq, status, "title", d.Biblio.Title, d, notices, problems)
}

func (s *Server) digitalBorrow(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	s.digitalAction(w, r, rq, id, func() (string, error) {
		res, err := s.cfg.Digital.Borrow(rq.ctx, domain.DigitalRequest{PatronID: rq.patron.PatronID, BiblioID: id}, rq.p.lang)
		if err != nil {
			return "", err
		}
		return rq.p.T("digital.borrowed", res.Loan.Title, rq.p.Date(res.Loan.DueDate)), nil
	})
}

func (s *Server) digitalHold(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	s.digitalAction(w, r, rq, id, func() (string, error) {
		res, err := s.cfg.Digital.PlaceHold(rq.ctx, domain.DigitalRequest{PatronID: rq.patron.PatronID, BiblioID: id}, rq.p.lang)
		if err != nil {
			return "", err
		}
		if res.Loan != nil { // a place was free: lent at once
			return rq.p.T("digital.borrowed", res.Loan.Title, rq.p.Date(res.Loan.DueDate)), nil
		}
		return rq.p.T("digital.hold_placed", res.Hold.Position), nil
	})
}

// myDigitalLoan is the patron's running digital loan id, or nil: another
// patron's is answered as if it did not exist.
func (s *Server) myDigitalLoan(rq *request, id string) *domain.DigitalLoan {
	l, err := s.cfg.Digital.Loan(rq.ctx, id)
	if err != nil || l.PatronID != rq.patron.PatronID || l.ReturnedAt != "" {
		return nil
	}
	return l
}

func (s *Server) digitalReturn(w http.ResponseWriter, r *http.Request, rq *request) {
	s.digitalAction(w, r, rq, "", func() (string, error) {
		l := s.myDigitalLoan(rq, r.PathValue("id"))
		if l == nil {
			return "", domain.Fail(domain.CodeLoanNotFound, "No such digital loan.")
		}
		if _, err := s.cfg.Digital.Return(rq.ctx, domain.DigitalRequest{PatronID: rq.patron.PatronID, LoanID: l.LoanID}, rq.p.lang); err != nil {
			return "", err
		}
		return rq.p.T("digital.returned", l.Title), nil
	})
}

func (s *Server) digitalRenew(w http.ResponseWriter, r *http.Request, rq *request) {
	s.digitalAction(w, r, rq, "", func() (string, error) {
		l := s.myDigitalLoan(rq, r.PathValue("id"))
		if l == nil {
			return "", domain.Fail(domain.CodeLoanNotFound, "No such digital loan.")
		}
		res, err := s.cfg.Digital.Renew(rq.ctx, domain.DigitalRequest{PatronID: rq.patron.PatronID, LoanID: l.LoanID}, rq.p.lang)
		if err != nil {
			return "", err
		}
		return rq.p.T("renew.done", l.Title, rq.p.Date(res.Loan.DueDate)), nil
	})
}

func (s *Server) digitalCancel(w http.ResponseWriter, r *http.Request, rq *request) {
	s.digitalAction(w, r, rq, "", func() (string, error) {
		h, err := s.cfg.Digital.Hold(rq.ctx, r.PathValue("id"))
		if err != nil || h.PatronID != rq.patron.PatronID || h.Status != domain.DigitalHoldWaiting {
			return "", domain.Fail(domain.CodeHoldNotFound, "No such digital hold.")
		}
		if _, err := s.cfg.Digital.CancelHold(rq.ctx, domain.DigitalRequest{PatronID: rq.patron.PatronID, HoldID: h.HoldID}, rq.p.lang); err != nil {
			return "", err
		}
		return rq.p.T("hold.cancelled", h.Title), nil
	})
}
