package web

import (
	"errors"
	"net/http"
	"strings"

	"stacks/branch/domain"
)

type accountData struct {
	Status    *domain.PatronStatus
	Loans     []*domain.Loan
	Holds     []*domain.Hold
	Account   *domain.Account
	Libraries []domain.Library
	LibName   map[string]string
	Today     string
	Tomorrow  string
	Pay       *payForm
	// Digital: e-loans and e-holds are shown (Config.Digital).
	Digital      bool
	DigitalLoans []*domain.DigitalLoan
	DigitalHolds []*domain.DigitalHold
	// Feedback is an open survey invitation (feedback.go); HasFeedback
	// links the patron's answers.
	Feedback    *domain.FeedbackInvitation
	HasFeedback bool
	// Suggested: the patron's own suggestions, if they opted in.
	Suggested *domain.Recommendations
}

func (s *Server) accountData(rq *request) (*accountData, error) {
	pid := rq.patron.PatronID
	st, err := s.lib.Status(rq.ctx, pid)
	if err != nil {
		return nil, err
	}
	loans, err := s.lib.PatronLoans(rq.ctx, pid, false)
	if err != nil {
		return nil, err
	}
	holds, err := s.lib.PatronHolds(rq.ctx, pid)
	if err != nil {
		return nil, err
	}
	acct, err := s.lib.Account(rq.ctx, pid)
	if err != nil {
		return nil, err
	}
	libs, err := s.lib.Libraries(rq.ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, l := range libs {
		names[l.BranchID] = l.Name
	}
	pay, err := s.payForm(acct)
	if err != nil {
		return nil, err
	}
	now := s.lib.Now()
	d := &accountData{Status: st, Loans: loans, Holds: holds, Account: acct, Libraries: libs, LibName: names,
		Today: now.Format(domain.DateLayout), Tomorrow: now.AddDate(0, 0, 1).Format(domain.DateLayout), Pay: pay}
	d.Feedback, d.HasFeedback = s.pendingFeedback(rq), s.cfg.Feedback != nil
	if s.cfg.Digital != nil {
		d.Digital = true
		if d.DigitalLoans, err = s.cfg.Digital.PatronLoans(rq.ctx, pid, false); err != nil {
			return nil, err
		}
		if d.DigitalHolds, err = s.cfg.Digital.PatronHolds(rq.ctx, pid); err != nil {
			return nil, err
		}
	}
	d.Suggested = s.mySuggestions(rq)
	return d, nil
}

// showAccount renders the account page with what an action said.
func (s *Server) showAccount(w http.ResponseWriter, r *http.Request, rq *request, notices, problems []string) {
	d, err := s.accountData(rq)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	status := http.StatusOK
	if len(problems) > 0 && len(notices) == 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, rq, status, "account", rq.p.T("account.title"), d, notices, problems)
}

func (s *Server) account(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	s.showAccount(w, r, rq, nil, nil)
}

// myLoan is the patron's open loan id, or nil: another patron's loan is
// answered as if it did not exist.
func (s *Server) myLoan(rq *request, id string) *domain.Loan {
	l, err := s.lib.Loan(rq.ctx, id)
	if err != nil || l.PatronID != rq.patron.PatronID || l.ReturnedAt != "" {
		return nil
	}
	return l
}

// myHold is the patron's active hold id, or nil.
func (s *Server) myHold(rq *request, id string) *domain.Hold {
	h, err := s.lib.Hold(rq.ctx, id)
	if err != nil || h.PatronID != rq.patron.PatronID || !h.Active() {
		return nil
	}
	return h
}

// renew renews one loan and says what happened, in the patron's words.
func (s *Server) renew(rq *request, l *domain.Loan) (notice string, problem string, err error) {
	res, err := s.lib.Renew(rq.ctx, domain.RenewRequest{LoanID: l.LoanID})
	if err != nil {
		var e *domain.Error
		if !asDomainError(err, &e) {
			return "", "", err
		}
		return "", rq.p.T("renew.refused", l.Title, strings.Join(rq.p.Refusal(err), " ")), nil
	}
	s.inviteAfter(rq, domain.FeedbackRenewal, l.LoanID)
	return rq.p.T("renew.done", l.Title, rq.p.Date(res.Loan.DueDate)), "", nil
}

func (s *Server) renewOne(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	l := s.myLoan(rq, r.PathValue("id"))
	if l == nil {
		s.fail(w, r, rq, http.StatusNotFound, rq.p.T("error.checkout_not_found"))
		return
	}
	n, p, err := s.renew(rq, l)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	s.showAccount(w, r, rq, nonEmpty(n), nonEmpty(p))
}

func (s *Server) renewAll(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	loans, err := s.lib.PatronLoans(rq.ctx, rq.patron.PatronID, false)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	var notices, problems []string
	for _, l := range loans {
		n, p, err := s.renew(rq, l)
		if err != nil {
			s.failErr(w, r, rq, err)
			return
		}
		notices, problems = append(notices, nonEmpty(n)...), append(problems, nonEmpty(p)...)
	}
	if len(loans) == 0 {
		notices = append(notices, rq.p.T("renew.nothing"))
	}
	s.showAccount(w, r, rq, notices, problems)
}

// patronMessage is a refusal the web itself gives, already in the
// patron's words.
type patronMessage string

func (m patronMessage) Error() string { return string(m) }

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// holdAction runs f on the patron's hold named in the path.
func (s *Server) holdAction(w http.ResponseWriter, r *http.Request, rq *request, f func(h *domain.Hold) (string, error)) {
	if s.needLogin(w, r, rq) {
		return
	}
	h := s.myHold(rq, r.PathValue("id"))
	if h == nil {
		s.fail(w, r, rq, http.StatusNotFound, rq.p.T("error.hold_not_found"))
		return
	}
	notice, err := f(h)
	var m patronMessage
	if errors.As(err, &m) {
		s.showAccount(w, r, rq, nil, []string{string(m)})
		return
	}
	if err != nil {
		var e *domain.Error
		if !asDomainError(err, &e) {
			s.failErr(w, r, rq, err)
			return
		}
		s.showAccount(w, r, rq, nil, rq.p.Refusal(err))
		return
	}
	s.showAccount(w, r, rq, []string{notice}, nil)
}

func (s *Server) cancelHold(w http.ResponseWriter, r *http.Request, rq *request) {
	s.holdAction(w, r, rq, func(h *domain.Hold) (string, error) {
		if _, err := s.lib.CancelHold(rq.ctx, h.HoldID, "cancelled by the patron on the web"); err != nil {
			return "", err
		}
		return rq.p.T("hold.cancelled", h.Title), nil
	})
}

func (s *Server) suspendHold(w http.ResponseWriter, r *http.Request, rq *request) {
	s.holdAction(w, r, rq, func(h *domain.Hold) (string, error) {
		until := strings.TrimSpace(r.PostForm.Get("until"))
		if _, err := domain.ParseDate(until); err != nil {
			return "", patronMessage(rq.p.T("hold.bad_date"))
		}
		if until <= s.lib.Now().Format(domain.DateLayout) {
			return "", patronMessage(rq.p.T("hold.suspend_after_today"))
		}
		if _, err := s.lib.SuspendHold(rq.ctx, h.HoldID, until); err != nil {
			return "", err
		}
		return rq.p.T("hold.suspended", h.Title, rq.p.Date(until)), nil
	})
}

func (s *Server) resumeHold(w http.ResponseWriter, r *http.Request, rq *request) {
	s.holdAction(w, r, rq, func(h *domain.Hold) (string, error) {
		if _, err := s.lib.SuspendHold(rq.ctx, h.HoldID, ""); err != nil {
			return "", err
		}
		return rq.p.T("hold.resumed", h.Title), nil
	})
}

func (s *Server) changePickup(w http.ResponseWriter, r *http.Request, rq *request) {
	s.holdAction(w, r, rq, func(h *domain.Hold) (string, error) {
		nh, err := s.lib.ChangePickup(rq.ctx, h.HoldID, r.PostForm.Get("pickup"))
		if err != nil {
			return "", err
		}
		name := nh.PickupBranch
		if l, err := s.libraryName(rq, nh.PickupBranch); err == nil {
			name = l
		}
		return rq.p.T("hold.pickup_changed", h.Title, name), nil
	})
}

func (s *Server) libraryName(rq *request, id string) (string, error) {
	libs, err := s.lib.Libraries(rq.ctx)
	if err != nil {
		return "", err
	}
	for _, l := range libs {
		if l.BranchID == id {
			return l.Name, nil
		}
	}
	return id, nil
}

// profile shows the patron's contact details, PIN change and language.
func (s *Server) profile(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	s.render(w, r, rq, http.StatusOK, "profile", rq.p.T("profile.title"), rq.patron, nil, nil)
}

func (s *Server) saveProfile(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	phone := strings.TrimSpace(r.PostForm.Get("phone"))
	addr := strings.TrimSpace(r.PostForm.Get("address"))
	p, err := s.lib.UpdatePatron(rq.ctx, rq.patron.PatronID, domain.PatronUpdate{Email: &email, Phone: &phone, Address: &addr})
	if err != nil {
		var e *domain.Error
		if !asDomainError(err, &e) {
			s.failErr(w, r, rq, err)
			return
		}
		shown := *rq.patron
		shown.Email, shown.Phone, shown.Address = email, phone, addr
		s.render(w, r, rq, http.StatusUnprocessableEntity, "profile", rq.p.T("profile.title"), &shown, nil, []string{rq.p.T("profile.invalid")})
		return
	}
	rq.patron = p
	s.render(w, r, rq, http.StatusOK, "profile", rq.p.T("profile.title"), p, []string{rq.p.T("profile.saved")}, nil)
}

// changePIN changes the PIN after checking the current one with the
// shared PIN check (a wrong one counts towards the lockout).
func (s *Server) changePIN(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	cur, pin, again := r.PostForm.Get("current_pin"), r.PostForm.Get("new_pin"), r.PostForm.Get("new_pin_again")
	problem := ""
	switch {
	case pin != again:
		problem = rq.p.T("pin.mismatch")
	case len(pin) < 4 || len(pin) > 12:
		problem = rq.p.T("pin.length")
	}
	if problem == "" {
		if _, err := s.lib.CheckPIN(rq.ctx, rq.patron.Cardnumber, cur); err != nil {
			var e *domain.Error
			if !asDomainError(err, &e) {
				s.failErr(w, r, rq, err)
				return
			}
			problem = rq.p.T("pin.wrong")
			if e.Code == domain.CodePINLocked {
				problem = rq.p.T("error.pin_locked")
			}
		}
	}
	if problem == "" {
		if _, err := s.lib.UpdatePatron(rq.ctx, rq.patron.PatronID, domain.PatronUpdate{PIN: &pin}); err != nil {
			var e *domain.Error
			if !asDomainError(err, &e) {
				s.failErr(w, r, rq, err)
				return
			}
			problem = strings.Join(rq.p.Refusal(err), " ")
		} else if s.cfg.Sessions != nil {
			// The new PIN ends the patron's other sessions, on every
			// node; this one goes on.
			if err := s.cfg.Sessions.End(rq.ctx, rq.patron.PatronID, s.lib.Now(), rq.sess.ID); err != nil {
				s.failErr(w, r, rq, err)
				return
			}
		}
	}
	if problem != "" {
		s.render(w, r, rq, http.StatusUnprocessableEntity, "profile", rq.p.T("profile.title"), rq.patron, nil, []string{problem})
		return
	}
	s.render(w, r, rq, http.StatusOK, "profile", rq.p.T("profile.title"), rq.patron, []string{rq.p.T("pin.changed")}, nil)
}
