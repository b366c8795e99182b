package web

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"stacks/branch/domain"
)

type loginData struct {
	Card string
	Next string
}

// safeNext is where to go after logging in: a path on this site only.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/account"
	}
	return next
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.patron != nil {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	s.render(w, r, rq, http.StatusOK, "login", rq.p.T("login.title"), loginData{Next: safeNext(r.URL.Query().Get("next"))}, nil, nil)
}

// login checks a card number and PIN with the PIN check every channel
// shares (its lockout counts failures on every node), behind a rate limit
// per client address.
func (s *Server) login(w http.ResponseWriter, r *http.Request, rq *request) {
	card := strings.TrimSpace(r.PostForm.Get("cardnumber"))
	pin := r.PostForm.Get("pin")
	d := loginData{Card: card, Next: safeNext(r.PostForm.Get("next"))}
	if !s.rate.allow(s.clientAddr(r), s.lib.Now()) {
		w.Header().Set("Retry-After", "60")
		s.render(w, r, rq, http.StatusTooManyRequests, "login", rq.p.T("login.title"), d, nil, []string{rq.p.T("login.rate_limited")})
		return
	}
	if card == "" || pin == "" || len(card) > 64 || len(pin) > 64 {
		s.render(w, r, rq, http.StatusUnprocessableEntity, "login", rq.p.T("login.title"), d, nil, []string{rq.p.T("login.missing")})
		return
	}
	p, err := s.lib.CheckPIN(rq.ctx, card, pin)
	if err != nil {
		var e *domain.Error
		if !asDomainError(err, &e) {
			s.failErr(w, r, rq, err)
			return
		}
		msg := rq.p.T("error.bad_credentials")
		status := http.StatusUnauthorized
		if e.Code == domain.CodePINLocked {
			msg, status = rq.p.T("error.pin_locked"), http.StatusTooManyRequests
		}
		s.render(w, r, rq, status, "login", rq.p.T("login.title"), d, nil, []string{msg})
		return
	}
	id, err := s.sess.newID()
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	now := s.lib.Now()
	ns := session{ID: id, PatronID: p.PatronID, LoginAt: now.Unix(), LoginMs: now.UnixMilli(), ExpiresAt: now.Add(sessionTTL).Unix()}
	if s.cfg.Sessions != nil {
		// A session begins after the patron's last cutoff, even when the
		// clock has not moved on since their logout.
		before, _, err := s.cfg.Sessions.Cutoff(rq.ctx, p.PatronID)
		if err != nil {
			s.failErr(w, r, rq, err)
			return
		}
		ns.LoginMs = max(ns.LoginMs, before+1)
	}
	w.Header().Del("Set-Cookie") // the new session replaces the one page renewed
	s.setCookie(w, r, sessionCookie, s.sess.encode(ns), 0)
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

// logout ends the session on every node (Config.Sessions), not only in
// this browser: a copy of the cookie is worth nothing afterwards. It ends
// every session of the patron begun until now: a patron who logs out at a
// library's public computer expects to be logged out everywhere.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.patron != nil && s.cfg.Sessions != nil {
		if err := s.cfg.Sessions.End(rq.ctx, rq.patron.PatronID, s.lib.Now(), ""); err != nil {
			s.failErr(w, r, rq, err)
			return
		}
	}
	id, err := s.sess.newID()
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	ns := session{ID: id, ExpiresAt: s.lib.Now().Add(sessionTTL).Unix()}
	w.Header().Del("Set-Cookie")
	s.setCookie(w, r, sessionCookie, s.sess.encode(ns), 0)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// setLanguage keeps the visitor's choice of language in a cookie, and a
// logged-in patron's on their record too (an op), so every channel uses it.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request, rq *request) {
	l := r.PostForm.Get("lang")
	if !s.cat.supported(l) {
		s.fail(w, r, rq, http.StatusBadRequest, rq.p.T("error.invalid"))
		return
	}
	if rq.patron != nil && rq.patron.Language != l {
		if _, err := s.lib.UpdatePatron(rq.ctx, rq.patron.PatronID, domain.PatronUpdate{Language: &l}); err != nil {
			s.failErr(w, r, rq, err)
			return
		}
	}
	s.setCookie(w, r, langCookie, l, 365*24*3600)
	next := r.PostForm.Get("next")
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// loginLimiter limits login attempts per client address, on the injected
// clock; it forgets addresses idle for ten minutes and holds at most
// maxLimited of them.
type loginLimiter struct {
	mu    sync.Mutex
	r     rate.Limit
	burst int
	m     map[string]*limited
}

type limited struct {
	lim  *rate.Limiter
	seen time.Time
}

const maxLimited = 10000

func newLoginLimiter(perMinute float64, burst int) *loginLimiter {
	return &loginLimiter{r: rate.Limit(perMinute / 60), burst: burst, m: map[string]*limited{}}
}

func (l *loginLimiter) allow(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[addr]
	if e == nil {
		if len(l.m) >= maxLimited {
			for k, v := range l.m {
				if now.Sub(v.seen) > 10*time.Minute {
					delete(l.m, k)
				}
			}
			if len(l.m) >= maxLimited {
				return false // under a flood from many addresses, refuse rather than grow
			}
		}
		e = &limited{lim: rate.NewLimiter(l.r, l.burst)}
		l.m[addr] = e
	}
	e.seen = now
	return e.lim.AllowN(now, 1)
}
