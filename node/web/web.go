// Package web is the patron web library: server-rendered HTML pages for
// searching the catalogue, a title's availability and holds, logging in
// with a card number and PIN, and the patron's own account (loans and
// renewals, holds, fees, contact details, PIN, language and a digital
// library card). Every branchd serves it on its HTTP listener beside the
// JSON API, so it keeps working in the branch during an outage.
//
// Pages work with JavaScript off; a little script (static/app.js) only
// improves them. Handlers call the branch service as the API does: a page
// re-implements no rule, and every patron action is an op with channel
// web.
package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"stacks/branch/domain"
	"stacks/node/branding"
)

// Library is what the web needs of the branch service.
type Library interface {
	Biblio(ctx context.Context, id string) (*domain.Biblio, error)
	Availability(ctx context.Context, biblioID string) (*domain.Availability, error)
	Libraries(ctx context.Context) ([]domain.Library, error)
	CheckPIN(ctx context.Context, card, pin string) (*domain.Patron, error)
	Patron(ctx context.Context, id string) (*domain.Patron, error)
	Status(ctx context.Context, id string) (*domain.PatronStatus, error)
	UpdatePatron(ctx context.Context, id string, u domain.PatronUpdate) (*domain.Patron, error)
	PatronLoans(ctx context.Context, patronID string, history bool) ([]*domain.Loan, error)
	Loan(ctx context.Context, id string) (*domain.Loan, error)
	Renew(ctx context.Context, req domain.RenewRequest) (*domain.RenewResult, error)
	PatronHolds(ctx context.Context, patronID string) ([]*domain.Hold, error)
	Hold(ctx context.Context, id string) (*domain.Hold, error)
	PlaceHold(ctx context.Context, req domain.HoldRequest) (*domain.Hold, error)
	CancelHold(ctx context.Context, id, reason string) (*domain.Hold, error)
	SuspendHold(ctx context.Context, id, until string) (*domain.Hold, error)
	ChangePickup(ctx context.Context, id, pickup string) (*domain.Hold, error)
	Account(ctx context.Context, patronID string) (*domain.Account, error)
	Now() time.Time
}

// Searcher finds titles. Today it is the branch service's search; the
// catalogue's own search (with facets) replaces it behind this interface.
type Searcher interface {
	SearchBiblios(ctx context.Context, term, isbn string, limit, offset int) ([]*domain.Biblio, error)
}

// Catalogue is the catalogue's index: a search answers works (a title's
// editions and formats grouped) with facet counts, and every edition of a
// work. The JSON API's GET /api/v1/biblios answers from the same index.
type Catalogue interface {
	Search(ctx context.Context, q domain.SearchQuery) (*domain.SearchResult, error)
	Editions(ctx context.Context, biblioID string) ([]*domain.Biblio, error)
}

// SessionEnder ends patrons' sessions on every node (branch/websession):
// a cutoff per patron, replicated, before which their sessions are
// refused, except the one session it keeps.
type SessionEnder interface {
	End(ctx context.Context, patronID string, before time.Time, keep string) error
	Cutoff(ctx context.Context, patronID string) (beforeMs int64, keep string, err error)
}

// Config is what the web needs.
type Config struct {
	Library  Library
	Searcher Searcher
	// Catalogue is the index the search page and the title page's
	// editions come from; nil means the Searcher, when it is one, else
	// the plain search without facets.
	Catalogue Catalogue
	// ClusterKey signs sessions, so a session is valid on every node
	// sharing it.
	ClusterKey []byte
	Branding   branding.Branding
	// Currency is the ISO 4217 code of fees.
	Currency string
	Logger   *slog.Logger
	// Rand makes session IDs; nil means crypto/rand.
	Rand io.Reader
	// LoginRate is how many logins one address may try per minute, on
	// top of the PIN lockout every channel shares; LoginBurst how many at
	// once. Zero means 6 per minute, 10 at once.
	LoginRate  float64
	LoginBurst int
	// Prefs keeps patrons' reading history and messaging preferences
	// (branch/patronprefs); nil leaves their page out.
	Prefs Prefs
	// TrustedProxies are the reverse proxies (terminating TLS) whose
	// X-Forwarded-Proto and X-Forwarded-For are believed (proxy.go).
	TrustedProxies []netip.Prefix
	// Sessions ends sessions at logout and, but for the patron's own,
	// at a PIN change, on every node; nil means a session lasts until it
	// expires (a copied cookie outlives the logout).
	Sessions SessionEnder
	// Digital is digital lending; nil leaves e-loans out of the account
	// and borrowing out of the title page.
	Digital Digital
	// Privacy shows patrons what is kept about them (branch/privacy); nil
	// (or a nil Prefs) leaves their "your data" page out.
	Privacy Privacy
	// Handoffs makes handoff codes; nil leaves their page out.
	Handoffs Handoffs
	// Help is help requests (branch/help); nil leaves "Ask for help" out.
	Help Help
	// Recommend answers "also borrowed" and patrons' own suggestions
	// (branch/recommend); nil leaves them out.
	Recommend Recommender
	// Events is events and programmes; nil leaves their pages out.
	Events Events
	// Payments is the card payment provider; nil means online payment
	// is not available (the account says so). The Library must then be
	// a PaymentStore too.
	Payments PaymentProvider
	// RegisterPerHour is how many self-registrations one address may
	// make an hour, RegisterBurst how many at once; zero means 5 an hour,
	// 3 at once.
	RegisterPerHour float64
	RegisterBurst   int
	// Feedback is the surveys and the "you said, we did" page; nil
	// leaves them out.
	Feedback Feedback
	// Welcome prints a self-registered patron's welcome slip with the
	// card's barcode when they register at one of the branch's own
	// terminals; nil prints nothing.
	Welcome Welcomer
	// Searches counts searches and their success (branch/insight); nil
	// counts nothing.
	Searches SearchCounter
}

// SearchCounter counts searches and which of them led to a title: Search
// counts one made through channel and returns a nonce for its result
// links (random, naming no one); Success counts the search of a nonce as
// successful, once.
type SearchCounter interface {
	Search(channel string) string
	Success(nonce string) bool
}

// MinKeyBytes is the shortest cluster key accepted.
const MinKeyBytes = 16

// Server serves the patron web.
type Server struct {
	cfg   Config
	lib   Library
	srch  Searcher
	idx   Catalogue // nil: no index (plain search)
	lg    *slog.Logger
	cat   *catalogue
	sess  sessions
	tmpl  map[string]*template.Template
	brand branding.Branding
	logo  []byte
	logoT string
	theme []byte
	rate  *loginLimiter
	pay   PaymentProvider
	store PaymentStore
	reg   Registrar
	// regRate limits self-registrations per client address.
	regRate *loginLimiter
	csp     string
}

// New parses the templates and catalogues; it does no other I/O than
// reading the logo file, if one is configured.
func New(cfg Config) (*Server, error) {
	if cfg.Library == nil {
		return nil, errors.New("web: no library")
	}
	if len(cfg.ClusterKey) < MinKeyBytes {
		return nil, fmt.Errorf("web: the cluster key is shorter than %d bytes", MinKeyBytes)
	}
	if cfg.Searcher == nil {
		srch, ok := cfg.Library.(Searcher)
		if !ok {
			return nil, errors.New("web: no searcher")
		}
		cfg.Searcher = srch
	}
	if cfg.Catalogue == nil {
		cfg.Catalogue, _ = cfg.Searcher.(Catalogue)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Currency == "" {
		cfg.Currency = "EUR"
	}
	if cfg.LoginRate <= 0 {
		cfg.LoginRate = 6
	}
	if cfg.RegisterPerHour <= 0 {
		cfg.RegisterPerHour = 5
	}
	if cfg.RegisterBurst <= 0 {
		cfg.RegisterBurst = 3
	}
	if cfg.LoginBurst <= 0 {
		cfg.LoginBurst = 10
	}
	b := cfg.Branding.WithDefaults()
	if err := b.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, lib: cfg.Library, srch: cfg.Searcher, idx: cfg.Catalogue, lg: cfg.Logger.With("subsystem", "web"),
		sess: newSessions(cfg.ClusterKey, cfg.Rand), brand: b, rate: newLoginLimiter(cfg.LoginRate, cfg.LoginBurst)}
	s.csp = contentSecurityPolicy
	s.reg, _ = cfg.Library.(Registrar)
	s.regRate = newLoginLimiter(cfg.RegisterPerHour/60, cfg.RegisterBurst)
	if cfg.Payments != nil {
		store, ok := cfg.Library.(PaymentStore)
		if !ok {
			return nil, errors.New("web: online payments need a library that keeps payment attempts")
		}
		s.pay, s.store = cfg.Payments, store
		// The account's payment form leads (by a redirect) to the
		// provider's checkout page.
		s.csp = strings.Replace(s.csp, "form-action 'self'", "form-action 'self' "+cfg.Payments.Origin(), 1)
	}
	var err error
	if s.cat, err = loadCatalogue(); err != nil {
		return nil, err
	}
	if s.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	if b.LogoFile != "" {
		if s.logo, err = os.ReadFile(b.LogoFile); err != nil {
			return nil, fmt.Errorf("web: logo: %w", err)
		}
		s.logoT = "image/png"
		if len(b.LogoFile) > 4 && b.LogoFile[len(b.LogoFile)-4:] == ".svg" {
			s.logoT = "image/svg+xml"
		}
	} else {
		s.logo, _ = staticFS.ReadFile("static/logo.svg")
		s.logoT = "image/svg+xml"
	}
	s.theme = []byte(fmt.Sprintf(":root{--primary:%s;--accent:%s}\n", b.Primary, b.Accent))
	return s, nil
}

// Paths are the patterns the web serves, for the node's mux.
func (s *Server) Register(mux *http.ServeMux) {
	h := func(pattern string, f func(w http.ResponseWriter, r *http.Request, rq *request)) {
		mux.Handle(pattern, s.page(f))
	}
	mux.Handle("GET /static/", s.static())
	h("GET /{$}", s.home)
	h("GET /search", s.search)
	h("GET /titles/{id}", s.title)
	h("POST /titles/{id}/hold", s.placeHold)
	h("GET /login", s.loginForm)
	h("POST /login", s.login)
	h("POST /logout", s.logout)
	h("POST /language", s.setLanguage)
	h("GET /account", s.account)
	h("POST /account/loans/renew", s.renewAll)
	h("POST /account/loans/{id}/renew", s.renewOne)
	h("POST /account/holds/{id}/cancel", s.cancelHold)
	h("POST /account/holds/{id}/suspend", s.suspendHold)
	h("POST /account/holds/{id}/resume", s.resumeHold)
	h("POST /account/holds/{id}/pickup", s.changePickup)
	h("GET /account/profile", s.profile)
	h("POST /account/profile", s.saveProfile)
	h("POST /account/pin", s.changePIN)
	h("GET /account/card", s.card)
	s.registerPrefs(h)
	s.registerRecommend(h)
	s.registerPrivacy(h)
	s.registerHandoff(h)
	s.registerHelp(h)
	s.registerDigital(h)
	s.registerFeedback(h)
	s.registerEvents(h)
	h("GET /register", s.registerForm)
	h("POST /register", s.register)
	h("GET /register/done", s.registered)
	h("POST /account/pay", s.startPayment)
	h("GET /account/pay/return", s.payReturn)
	mux.Handle("POST "+notifyPath, s.notify())
}

// Handler is the web alone on a mux of its own (tests, and a node that
// serves nothing else).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Register(mux)
	return mux
}
