package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"stacks/branch/domain"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// contentSecurityPolicy allows this site's own styles, scripts and images
// (and data: images), nothing inline, no frames, forms only to itself.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// request is what a handler knows of the request beyond http.Request.
type request struct {
	sess   session
	patron *domain.Patron // nil when nobody is logged in
	p      printer
	ctx    context.Context // carries the actor: the patron or an anonymous web visitor
}

// view is what every template gets.
type view struct {
	printer
	Brand    any
	Title    string
	CSRF     string
	Patron   *domain.Patron
	Lang     string
	Path     string
	Notices  []string
	Problems []string
	Data     any
	// HasPrefs: the preferences page is served (Config.Prefs).
	HasPrefs bool
	// HasEvents: the events pages are served (Config.Events).
	HasEvents bool
	// HasHandoff: the handoff page is served (Config.Handoffs).
	HasHandoff bool
	// HasHelp: "Ask for help" is served (Config.Help).
	HasHelp bool
	// HasFeedback: the surveys and "you said, we did" are served
	// (Config.Feedback).
	HasFeedback bool
	// HasPrivacy: the "your data" page is served (Config.Privacy).
	HasPrivacy bool
}

// page wraps a handler: security headers, the session (a new one for a
// new visitor, renewed on every page), the logged-in patron, the
// language, and CSRF on every POST.
func (s *Server) page(f func(w http.ResponseWriter, r *http.Request, rq *request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", s.csp)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "same-origin")
		hdr.Set("X-Frame-Options", "DENY")
		now := s.lib.Now()
		rq := &request{ctx: domain.WithActor(r.Context(), domain.Actor{ID: "web", Channel: domain.ChannelWeb})}
		if c, err := r.Cookie(sessionCookie); err == nil {
			rq.sess, _ = s.sess.decode(c.Value, now)
		}
		if ended, err := s.ended(r.Context(), rq.sess); err != nil {
			s.lg.Error("session check", "err", err)
			http.Error(w, "the session could not be checked", http.StatusInternalServerError)
			return
		} else if ended {
			rq.sess = session{} // logged out on some node: a new anonymous session
		}
		if rq.sess.ID == "" {
			id, err := s.sess.newID()
			if err != nil {
				http.Error(w, "no randomness", http.StatusInternalServerError)
				return
			}
			rq.sess = session{ID: id}
		}
		if rq.sess.PatronID != "" {
			p, err := s.lib.Patron(r.Context(), rq.sess.PatronID)
			if err == nil {
				rq.patron = p
				rq.ctx = domain.WithActor(r.Context(), domain.Actor{ID: "patron:" + p.PatronID, Role: domain.RolePatron, Channel: domain.ChannelWeb})
			} else {
				rq.sess = session{ID: rq.sess.ID} // the patron is gone (erased): log out
			}
		}
		lang := ""
		if rq.patron != nil {
			lang = rq.patron.Language
		}
		rq.p = printer{c: s.cat, lang: s.langOf(r, lang), currency: s.cfg.Currency}
		// Personal pages are never stored; public ones a logged-in
		// patron sees carry their name, so neither are they.
		if rq.patron != nil || strings.HasPrefix(r.URL.Path, "/account") || r.Method == http.MethodPost {
			hdr.Set("Cache-Control", "no-store")
		} else {
			hdr.Set("Cache-Control", "private, no-cache")
		}
		hdr.Add("Vary", "Cookie, Accept-Language")
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
			if err := r.ParseForm(); err != nil {
				s.fail(w, r, rq, http.StatusBadRequest, rq.p.T("error.form"))
				return
			}
			if !s.sess.checkCSRF(rq.sess, r.PostForm.Get("csrf")) {
				s.fail(w, r, rq, http.StatusForbidden, rq.p.T("error.csrf"))
				return
			}
		}
		rq.sess.ExpiresAt = now.Add(sessionTTL).Unix()
		s.setCookie(w, r, sessionCookie, s.sess.encode(rq.sess), 0)
		f(w, r, rq)
	})
}

// render writes a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, rq *request, status int, name, title string, data any, notices, problems []string) {
	t, ok := s.tmpl[name]
	if !ok {
		s.lg.Error("no template", "name", name)
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	v := view{printer: rq.p, Brand: s.brand, Title: title, CSRF: s.sess.csrf(rq.sess), Patron: rq.patron, Lang: rq.p.lang,
		Path: r.URL.RequestURI(), Notices: notices, Problems: problems, Data: data, HasPrefs: s.cfg.Prefs != nil, HasHandoff: s.cfg.Handoffs != nil,
		HasHelp: s.cfg.Help != nil, HasFeedback: s.cfg.Feedback != nil, HasEvents: s.cfg.Events != nil,
		HasPrivacy: s.cfg.Privacy != nil && s.cfg.Prefs != nil}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.lg.Error("render", "page", name, "err", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if v := h.Get("Vary"); v != "" {
		h.Set("Vary", v+", Accept-Encoding")
	} else {
		h.Set("Vary", "Accept-Encoding")
	}
	body := buf.Bytes()
	// Pages go gzipped to a browser that takes it: a search page with its
	// facets is ~40 KB of HTML and ~9 KB gzipped, which is most of what a
	// phone on a slow link waits for.
	if len(body) > 1024 && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(body)
		if zw.Close() == nil {
			h.Set("Content-Encoding", "gzip")
			body = z.Bytes()
		}
	}
	w.WriteHeader(status)
	w.Write(body)
}

// acceptsGzip reports whether an Accept-Encoding header takes gzip (named,
// or "*", with a quality above zero).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// fail shows an error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rq *request, status int, msg string) {
	s.render(w, r, rq, status, "error", rq.p.T("error.title"), nil, nil, []string{msg})
}

// failErr shows an error from the domain: its refusal in the patron's
// words, or, for a failure of the system, a plain apology (and a log line).
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	var e *domain.Error
	if !asDomainError(err, &e) {
		s.lg.Error("request failed", "path", r.URL.Path, "err", err)
		s.fail(w, r, rq, http.StatusInternalServerError, rq.p.T("error.internal"))
		return
	}
	status := http.StatusBadRequest
	switch e.Kind() {
	case domain.KindNotFound:
		status = http.StatusNotFound
	case domain.KindConflict:
		status = http.StatusConflict
	case domain.KindRefused:
		status = http.StatusForbidden
	case domain.KindUnauthorised:
		status = http.StatusUnauthorized
	case domain.KindLocked:
		status = http.StatusTooManyRequests
	}
	s.render(w, r, rq, status, "error", rq.p.T("error.title"), nil, nil, rq.p.Refusal(err))
}

func asDomainError(err error, e **domain.Error) bool { return errors.As(err, e) }

// needLogin sends a visitor who is not logged in to the login page, to
// come back here afterwards. It reports whether it did.
func (s *Server) needLogin(w http.ResponseWriter, r *http.Request, rq *request) bool {
	if rq.patron != nil {
		return false
	}
	next := r.URL.Path
	if r.Method != http.MethodGet {
		next = "/account"
	}
	http.Redirect(w, r, "/login?next="+urlQueryEscape(next), http.StatusSeeOther)
	return true
}

// static serves the embedded assets, the theme made from the branding,
// and the logo.
func (s *Server) static() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.FileServer(http.FS(sub))
	started := time.Now()
	return http.StripPrefix("/static", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		switch r.URL.Path {
		case "/theme.css":
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			http.ServeContent(w, r, "theme.css", started, bytes.NewReader(s.theme))
		case "/logo":
			w.Header().Set("Content-Type", s.logoT)
			http.ServeContent(w, r, "logo", started, bytes.NewReader(s.logo))
		default:
			files.ServeHTTP(w, r)
		}
	}))
}
