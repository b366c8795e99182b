package httpapi

import (
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"time"

	"stacks/branch/domain"
)

// Wrap puts h behind the API's middleware, so tests can serve a handler
// that misbehaves.
func (a *API) Wrap(h http.Handler) http.Handler { return a.middleware(h) }

// LoginCache exposes the login cache to tests.
type LoginCache struct{ c *loginCache }

func NewLoginCache(max int, ttl time.Duration) LoginCache { return LoginCache{newLoginCache(max, ttl)} }

func key(user, pass string) loginKey { return loginKey{user: user, sum: sha256.Sum256([]byte(pass))} }

// Begin starts a verification as login does: a lookup that returns the
// generation, and a function that caches the result under it.
func (l LoginCache) Begin(user, pass string, now time.Time) (hit bool, finish func(now time.Time)) {
	_, ok, gen := l.c.get(key(user, pass), now)
	return ok, func(now time.Time) { l.c.put(key(user, pass), login{username: user, role: "admin"}, now, gen) }
}

func (l LoginCache) Put(user, pass string, now time.Time) {
	_, finish := l.Begin(user, pass, now)
	finish(now)
}

func (l LoginCache) Has(user, pass string, now time.Time) bool {
	hit, _ := l.Begin(user, pass, now)
	return hit
}

func (l LoginCache) Forget(user string) { l.c.forget(user) }

func (l LoginCache) Len() int {
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	return len(l.c.m)
}

// Routes are the registered route patterns.
func (a *API) Routes() []string { return append([]string(nil), a.patterns...) }

// RouteAccess describes a route's table entry: found, public, login-only,
// the permission, whether a patron may use it for their own account, and
// whether it is audited.
func RouteAccess(pattern string) (found, public, login bool, perm string, own, audited bool) {
	acc, ok := routeAccess[pattern]
	return ok, acc.public, acc.login, string(acc.perm), acc.owner != nil, acc.audit
}

// KindStatus is the status kindStatus gives a kind, if any.
func KindStatus(k domain.Kind) (int, bool) {
	st, ok := kindStatus[k]
	return st, ok
}

// ProblemFor is problemFor, for tests of error translation.
func ProblemFor(err error) (status int, code string, internal bool) {
	p, internal := problemFor(err)
	return p.Status, p.Code, internal
}

// RouteSelf reports whether a route is the patron API's: a patron's own
// account, by their token only.
func RouteSelf(pattern string) bool { return routeAccess[pattern].self }

// MuxPattern is the pattern the API's mux routes method and path to, or "".
func (a *API) MuxPattern(method, path string) string {
	_, p := a.mux.Handler(httptest.NewRequest(method, path, nil))
	return p
}

// RouteDocPatterns are the patterns routeDocs describes.
func RouteDocPatterns() []string {
	var out []string
	for p := range routeDocs {
		out = append(out, p)
	}
	return out
}

// RouteSummary is a route's summary in routeDocs.
func RouteSummary(pattern string) string { return routeDocs[pattern].summary }

// SetAuditStatus sets the answer a route is known to give a committed
// change, as if learned, so a test can make the answer turn out otherwise.
func (a *API) SetAuditStatus(pattern string, status int) { a.learnStatus(pattern, status) }

// InsightTexts are the insights page's texts per language.
var InsightTexts = insightTexts
