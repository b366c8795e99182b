// Package httpapi is the staff, kiosk and patron HTTP JSON API of a Stacks
// node, under /api/v1, with resource names after Koha's REST API. It is an
// adapter: every command and query is a call into branch.Service, and every
// refusal is translated here, once, into an application/problem+json
// response.
package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"stacks/node/apitype"
	"sync"
	"time"

	"stacks/branch"
	"stacks/branch/audit"
	"stacks/branch/digital"
	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/branch/feedback"
	"stacks/branch/handoff"
	"stacks/branch/help"
	"stacks/branch/notices"
	"stacks/branch/patronprefs"
	"stacks/branch/privacy"
	"stacks/branch/search"
	"stacks/node/payments"
)

// DefaultMaxBodyBytes is the largest request body accepted unless the
// config says otherwise.
const DefaultMaxBodyBytes = 1 << 20

// Clock is the time the API reads: for the login cache and the access log.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config configures an API.
type Config struct {
	Service *branch.Service
	Logger  *slog.Logger
	// MaxBodyBytes bounds a request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Clock is read for login-cache expiry and request durations; nil means
	// the system clock.
	Clock Clock
	// Location is the library's time zone, for default dates (the calendar's
	// "today"). It should be the branch service's; nil means time.Local.
	Location *time.Location
	// Peers reports sync status per peer; nil means this node has none.
	Peers func() []apitype.PeerStatus
	// ClusterKey signs session tokens. Every node of a cluster must have
	// the same key for a token issued by one to be accepted by the others.
	// Nil means a random key: tokens are then valid on this API only,
	// until it restarts.
	ClusterKey []byte
	// StaffTokenTTL and PatronTokenTTL are how long a session token of a
	// staff login and of a patron lasts; 0 means the defaults.
	StaffTokenTTL, PatronTokenTTL time.Duration
	// Cluster is the central role's cluster administration and health;
	// nil on a branch appliance (central.go).
	Cluster Cluster
	// Metrics serves /metrics (Prometheus); nil means no metrics.
	Metrics http.Handler
	// Currency is the ISO 4217 code of fees, as the patron API's account
	// names it; "" means EUR.
	Currency string
	// Handoff issues and redeems handoff codes; nil means one over
	// Service under ClusterKey that decides locally (a standalone node).
	Handoff *handoff.Service
	// Audit records audited requests and lists them; nil means the audit
	// log of Service (audit.NewService), whose node must run the audit
	// capability.
	Audit AuditLog
	// Digital lends digital titles (branch/digital); nil means a
	// standalone appliance's: Service decides digital loans itself.
	Digital *digital.Service
	// Notices is the notice engine (branch/notices); nil means one over
	// Service that sends nothing (its records, rules and print list work).
	Notices *notices.Engine
	// Feedback is the surveys (branch/feedback); nil means one over
	// Service with the defaults.
	Feedback *feedback.Service
	// Events is events and programmes (branch/events); nil means a
	// standalone appliance's over Service.
	Events *events.Service
	// Help is the help requests (branch/help); nil means one over
	// Service (whose closes invite nobody to a survey).
	Help *help.Service
	// Searches counts catalogue searches made by patrons' apps and the
	// anonymous API, and their success (branch/insight); nil counts
	// nothing.
	Searches SearchCounter
	// Search answers catalogue searches (branch/search); nil means the
	// index over Service, opened (and built if missing) at the first search.
	Search Searcher
	// Payments is the card payment provider of online payments
	// (POST /api/v1/patron/payments); nil means they are not offered.
	Payments payments.Provider
	// Printing prints receipts and slips (node/printing.go); nil means
	// this appliance has no printer.
	Printing Printing
}

// Searcher is what the API needs of the search index.
type Searcher interface {
	Search(ctx context.Context, q domain.SearchQuery) (*domain.SearchResult, error)
	Editions(ctx context.Context, biblioID string) ([]*domain.Biblio, error)
}

var _ Searcher = (*search.Index)(nil)

// AuditLog is what the API needs of the audit log.
type AuditLog interface {
	Record(ctx context.Context, recs ...audit.Record) error
	List(ctx context.Context, f audit.Filter) ([]*audit.Entry, error)
}

var _ AuditLog = (*audit.Service)(nil)

// Default session lengths: a desk shift, and a patron's visit.
const (
	DefaultStaffTokenTTL  = 12 * time.Hour
	DefaultPatronTokenTTL = time.Hour
)

// DefaultConfig returns the config of an API over svc: the default body
// limit, the system clock, the local time zone and no logging.
func DefaultConfig(svc *branch.Service) Config {
	return Config{Service: svc, Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: DefaultMaxBodyBytes,
		Clock: systemClock{}, Location: time.Local}
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Service == nil:
		return errors.New("httpapi: no branch service")
	case c.MaxBodyBytes < 0:
		return errors.New("httpapi: MaxBodyBytes is negative")
	case c.ClusterKey != nil && len(c.ClusterKey) < MinClusterKeyBytes:
		return fmt.Errorf("httpapi: the cluster key is shorter than %d bytes", MinClusterKeyBytes)
	case c.StaffTokenTTL < 0 || c.PatronTokenTTL < 0:
		return errors.New("httpapi: negative token lifetime")
	}
	return nil
}

// API serves the JSON API. It holds no state but a cache of verified logins.
type API struct {
	svc      *branch.Service
	auditLog AuditLog
	// auditStatus is each audited route's answer to a committed change
	// (pattern to HTTP status), for the records that ride with changes.
	auditStatus sync.Map
	digital     *digital.Service
	events      *events.Service
	help        *help.Service
	searches    SearchCounter
	search      Searcher
	openIdx     sync.Once
	idxErr      error
	lg          *slog.Logger
	maxBody     int64
	clock       Clock
	loc         *time.Location
	logins      *loginCache
	accounts    *accountCache
	tokens      signer
	staffTTL    time.Duration
	patrTTL     time.Duration
	peers       func() []apitype.PeerStatus
	cluster     Cluster
	metrics     http.Handler
	currency    string
	prefs       *patronprefs.Service
	privacy     *privacy.Service
	handoff     *handoff.Service
	provider    payments.Provider
	notices     *notices.Engine
	letters     Letters // the staff print page's letters (notices_staff.go)
	feedback    *feedback.Service
	printing    Printing
	// patterns are the registered routes, in order.
	patterns []string
	// params are the query parameters each route accepts.
	params   map[string][]string
	mux      *http.ServeMux
	handlers http.Handler
}

// New returns an API over a branch service. It does no I/O.
func New(cfg Config) (*API, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.ClusterKey == nil {
		cfg.ClusterKey = make([]byte, 32)
		rand.Read(cfg.ClusterKey)
	}
	if cfg.StaffTokenTTL == 0 {
		cfg.StaffTokenTTL = DefaultStaffTokenTTL
	}
	if cfg.PatronTokenTTL == 0 {
		cfg.PatronTokenTTL = DefaultPatronTokenTTL
	}
	if cfg.Audit == nil {
		cfg.Audit = audit.NewService(cfg.Service)
	}
	if cfg.Currency == "" {
		cfg.Currency = "EUR"
	}
	if cfg.Digital == nil {
		cfg.Digital = digital.NewService(cfg.Service, nil, nil)
	}
	if cfg.Notices == nil {
		cfg.Notices = notices.New(cfg.Service, notices.Config{Node: "api"})
	}
	if cfg.Feedback == nil {
		cfg.Feedback = feedback.New(cfg.Service, feedback.Config{})
	}
	if cfg.Events == nil {
		cfg.Events = events.NewService(cfg.Service, events.Config{})
	}
	if cfg.Help == nil {
		cfg.Help = help.New(cfg.Service, nil)
	}
	if cfg.Handoff == nil {
		h, err := handoff.New(cfg.Service, handoff.Config{Key: cfg.ClusterKey})
		if err != nil {
			return nil, err
		}
		cfg.Handoff = h
	}
	a := &API{
		svc:      cfg.Service,
		auditLog: cfg.Audit,
		digital:  cfg.Digital,
		search:   cfg.Search,
		lg:       cfg.Logger.With(logSubsystem, "httpapi"),
		maxBody:  cfg.MaxBodyBytes,
		clock:    cfg.Clock,
		loc:      cfg.Location,
		logins:   newLoginCache(loginCacheSize, loginCacheTTL),
		accounts: newAccountCache(accountCheckTTL),
		tokens:   newSigner(cfg.ClusterKey),
		staffTTL: cfg.StaffTokenTTL,
		patrTTL:  cfg.PatronTokenTTL,
		peers:    cfg.Peers,
		cluster:  cfg.Cluster,
		metrics:  cfg.Metrics,
		currency: cfg.Currency,
		prefs:    patronprefs.New(cfg.Service),
		privacy:  privacy.New(cfg.Service),
		handoff:  cfg.Handoff,
		provider: cfg.Payments,
		notices:  cfg.Notices,
		feedback: cfg.Feedback,
		printing: cfg.Printing,
		events:   cfg.Events,
		help:     cfg.Help,
		searches: cfg.Searches,
		mux:      http.NewServeMux(),
		params:   map[string][]string{},
	}
	a.routes()
	a.handlers = a.middleware(http.HandlerFunc(a.dispatch))
	return a, nil
}

// Handler is the whole API, /healthz included, with its middleware.
func (a *API) Handler() http.Handler { return a.handlers }

// Log keys.
const (
	logSubsystem = "subsystem"
	logMethod    = "method"
	logPath      = "path"
	logStatus    = "status"
	logDuration  = "duration"
	logActor     = "actor"
	logCode      = "code"
	logErr       = "err"
	logPanic     = "panic"
	logStack     = "stack"
)
