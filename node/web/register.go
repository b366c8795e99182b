package web

import (
	"context"
	"net/http"
	"net/netip"
	"strings"

	"stacks/branch/domain"
)

// Registrar registers patrons (the branch service). Self-registration is
// offered when the library has the self-registered category, whose rules
// are the new patron's limits until staff verify them.
type Registrar interface {
	RegisterPatron(ctx context.Context, np domain.NewPatron) (*domain.Patron, error)
	Categories(ctx context.Context) ([]domain.Category, error)
}

// Welcomer prints the welcome slip (the new card's barcode) of a patron
// who registered at one of the branch's own terminals (node/printing.go).
type Welcomer interface {
	// Welcome queues the slip when client is one of the branch's
	// terminals, and says whether it did.
	Welcome(ctx context.Context, patronID string, client netip.Addr) bool
}

type registerData struct {
	Available bool
	Form      domain.NewPatron
}

// registrationOpen reports whether the library offers self-registration.
func (s *Server) registrationOpen(ctx context.Context) (bool, error) {
	if s.reg == nil {
		return false, nil
	}
	cats, err := s.reg.Categories(ctx)
	if err != nil {
		return false, err
	}
	for _, c := range cats {
		if c.Category == domain.CategorySelfRegistered {
			return true, nil
		}
	}
	return false, nil
}

func (s *Server) registerForm(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.patron != nil {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	open, err := s.registrationOpen(rq.ctx)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	s.renderRegister(w, r, rq, http.StatusOK, registerData{Available: open, Form: domain.NewPatron{Language: rq.p.lang}}, nil)
}

func (s *Server) renderRegister(w http.ResponseWriter, r *http.Request, rq *request, status int, d registerData, problems []string) {
	s.render(w, r, rq, status, "register", rq.p.T("register.title"), d, nil, problems)
}

// register registers the visitor as a patron, in the self-registered
// category, behind a rate limit per client address; a registration that
// looks like a patron already known is refused without naming them. The
// new patron is logged in and sees their card number at once.
func (s *Server) register(w http.ResponseWriter, r *http.Request, rq *request) {
	f := r.PostForm
	np := domain.NewPatron{Firstname: strings.TrimSpace(f.Get("firstname")), Surname: strings.TrimSpace(f.Get("surname")),
		DateOfBirth: strings.TrimSpace(f.Get("date_of_birth")), Email: strings.TrimSpace(f.Get("email")),
		Phone: strings.TrimSpace(f.Get("phone")), Address: strings.TrimSpace(f.Get("address")), Language: f.Get("lang"),
		SelfRegistered: true}
	d := registerData{Available: true, Form: np}
	open, err := s.registrationOpen(rq.ctx)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	if !open {
		d.Available = false
		s.renderRegister(w, r, rq, http.StatusNotFound, d, nil)
		return
	}
	if !s.regRate.allow(s.clientAddr(r), s.lib.Now()) {
		w.Header().Set("Retry-After", "3600")
		s.renderRegister(w, r, rq, http.StatusTooManyRequests, d, []string{rq.p.T("register.rate_limited")})
		return
	}
	pin, again := f.Get("pin"), f.Get("pin_again")
	var problems []string
	if np.Firstname == "" || np.Surname == "" || np.DateOfBirth == "" {
		problems = append(problems, rq.p.T("register.need_name"))
	} else if _, err := domain.ParseDate(np.DateOfBirth); err != nil || np.DateOfBirth >= s.lib.Now().Format(domain.DateLayout) {
		problems = append(problems, rq.p.T("register.bad_date"))
	}
	if np.Email == "" && np.Phone == "" {
		problems = append(problems, rq.p.T("register.need_contact"))
	}
	if pin != again {
		problems = append(problems, rq.p.T("pin.mismatch"))
	} else if len(pin) < 4 || len(pin) > 12 {
		problems = append(problems, rq.p.T("pin.length"))
	}
	if !s.cat.supported(np.Language) {
		np.Language = rq.p.lang
	}
	if len(problems) > 0 {
		s.renderRegister(w, r, rq, http.StatusUnprocessableEntity, d, problems)
		return
	}
	np.PIN = pin
	p, err := s.reg.RegisterPatron(rq.ctx, np)
	if err != nil {
		var e *domain.Error
		if !asDomainError(err, &e) {
			s.failErr(w, r, rq, err)
			return
		}
		msg := rq.p.T("register.invalid")
		status := http.StatusUnprocessableEntity
		if e.Code == domain.CodeDuplicatePatron {
			msg, status = rq.p.T("register.duplicate"), http.StatusConflict
		}
		s.renderRegister(w, r, rq, status, d, []string{msg})
		return
	}
	id, err := s.sess.newID()
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	now := s.lib.Now()
	ns := session{ID: id, PatronID: p.PatronID, LoginAt: now.Unix(), ExpiresAt: now.Add(sessionTTL).Unix()}
	w.Header().Del("Set-Cookie")
	s.setCookie(w, r, sessionCookie, s.sess.encode(ns), 0)
	done := "/register/done"
	if addr, err := netip.ParseAddr(s.clientAddr(r)); err == nil && s.cfg.Welcome != nil && s.cfg.Welcome.Welcome(rq.ctx, p.PatronID, addr.Unmap()) {
		done += "?printed=1"
	}
	http.Redirect(w, r, done, http.StatusSeeOther)
}

// registered shows a new patron their card number.
func (s *Server) registered(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	// printed: the welcome slip with the card is on the branch's printer.
	s.render(w, r, rq, http.StatusOK, "registered", rq.p.T("register.done_title"), r.URL.Query().Get("printed") == "1", nil, nil)
}
