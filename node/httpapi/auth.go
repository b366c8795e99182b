package httpapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// Verified logins are remembered for a while: bcrypt costs tens of
// milliseconds, and a desk client sends its credentials with every request.
const (
	loginCacheSize = 1024
	loginCacheTTL  = 5 * time.Minute
)

// anonymous is who acts without credentials.
var anonymous = domain.Actor{ID: "anonymous", Channel: domain.ChannelAPI}

// channels a client may claim with the X-Stacks-Channel header.
var channels = map[domain.Channel]bool{
	domain.ChannelWeb: true, domain.ChannelKiosk: true, domain.ChannelAPI: true,
	domain.ChannelEmail: true, domain.ChannelDesk: true, domain.ChannelApp: true,
}

// caller is who sent a request, as its credentials prove.
type caller struct {
	// kind is kindStaff, kindPatron, or "" for anonymous.
	kind string
	// subject is the staff username or the patron's ID.
	subject string
	role    string
}

type callerKey struct{}

func callerFrom(r *http.Request) caller {
	c, _ := r.Context().Value(callerKey{}).(caller)
	return c
}

// patronActorID is the actor ID of a patron acting on their own account.
func patronActorID(patronID string) string { return "patron:" + patronID }

// identify puts who is acting into the request's context: a staff login
// given with HTTP Basic credentials, a staff or patron session token given
// as a Bearer token, else an anonymous client. Bad credentials are refused
// here; whether the caller may use the route is decided by handle.
func (a *API) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, who := anonymous, caller{}
		if h := r.Header.Get("Authorization"); h != "" {
			var err error
			if who, err = a.authenticate(r.Context(), h); err != nil {
				a.fail(w, r, err)
				return
			}
			switch who.kind {
			case kindStaff:
				actor = domain.Actor{ID: who.subject, Role: who.role, Channel: channelFor(who.role)}
			case kindPatron:
				actor = domain.Actor{ID: patronActorID(who.subject), Role: domain.RolePatron, Channel: domain.ChannelWeb}
			}
		}
		if h := r.Header.Get(apitype.HeaderChannel); h != "" {
			ch := domain.Channel(h)
			if !channels[ch] {
				writeProblem(w, problemOf(domain.CodeInvalid, "X-Stacks-Channel must be one of web, kiosk, api, app, email or desk."))
				return
			}
			actor.Channel = ch
		}
		ctx := context.WithValue(domain.WithActor(r.Context(), actor), callerKey{}, who)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authenticate checks an Authorization header: HTTP Basic with a staff
// login, or a Bearer session token.
func (a *API) authenticate(ctx context.Context, h string) (caller, error) {
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		c, err := a.tokens.verify(strings.TrimSpace(tok), a.clock.Now())
		switch {
		case errors.Is(err, errExpiredToken):
			return caller{}, &apiError{code: CodeTokenExpired, detail: "The session has expired; log in again."}
		case err != nil:
			return caller{}, &apiError{code: CodeBadToken, detail: "The session token is not valid here; log in again."}
		}
		if c.Kind == kindStaff {
			if err := a.checkAccount(ctx, c.Subject, c.Role); err != nil {
				return caller{}, err
			}
		}
		return caller{kind: c.Kind, subject: c.Subject, role: c.Role}, nil
	}
	user, pass, ok := parseBasic(h)
	if !ok {
		return caller{}, &apiError{code: domain.CodeBadCredentials,
			detail: "Send HTTP Basic credentials of a staff login or a Bearer session token."}
	}
	st, err := a.login(ctx, user, pass)
	if err != nil {
		return caller{}, err
	}
	if err := a.checkAccount(ctx, st.username, st.role); err != nil {
		return caller{}, err
	}
	return caller{kind: kindStaff, subject: st.username, role: st.role}, nil
}

func parseBasic(h string) (user, pass string, ok bool) {
	r := http.Request{Header: http.Header{"Authorization": {h}}}
	return r.BasicAuth()
}

// checkAccount refuses a staff session whose account has since been
// deactivated, removed or given another role. Accounts are read through a
// short cache, so a change made on another node takes effect here within
// accountCheckTTL of replicating.
func (a *API) checkAccount(ctx context.Context, username, role string) error {
	now := a.clock.Now()
	st, ok := a.accounts.get(username, now)
	if !ok {
		acct, err := a.svc.StaffAccount(ctx, username)
		switch {
		case domain.ErrorCode(err) == domain.CodeNotFound:
			st = accountState{}
		case err != nil:
			return err
		default:
			st = accountState{exists: true, active: acct.Active, role: acct.Role}
		}
		a.accounts.put(username, st, now)
	}
	if !st.exists || !st.active || st.role != role {
		return &apiError{code: CodeSessionRevoked,
			detail: "This staff account has been deactivated or changed; log in again."}
	}
	return nil
}

// channelFor is the channel a staff role works through by default.
func channelFor(role string) domain.Channel {
	switch role {
	case domain.RoleCirculation, domain.RoleSupervisor, domain.RoleAdmin:
		return domain.ChannelDesk
	case domain.RoleKiosk:
		return domain.ChannelKiosk
	}
	return domain.ChannelAPI
}

// login verifies credentials, from the cache when it can.
func (a *API) login(ctx context.Context, user, pass string) (login, error) {
	key := loginKey{user: user, sum: sha256.Sum256([]byte(pass))}
	now := a.clock.Now()
	st, ok, gen := a.logins.get(key, now)
	if ok {
		return st, nil
	}
	staff, err := a.svc.Authenticate(ctx, user, pass)
	if err != nil {
		return login{}, err
	}
	st = login{username: staff.Username, role: staff.Role}
	a.logins.put(key, st, now, gen)
	return st, nil
}

// login is a verified staff account.
type login struct {
	username, role string
}

// loginKey identifies one username and password without keeping the
// password.
type loginKey struct {
	user string
	sum  [sha256.Size]byte
}

type loginEntry struct {
	login
	expires time.Time
}

// loginCache is a small bounded map of recent verified logins.
type loginCache struct {
	mu  sync.Mutex
	max int
	ttl time.Duration
	m   map[loginKey]loginEntry
	// gen changes whenever accounts are forgotten, so that a verification
	// that began before an account changed is not cached after it.
	gen uint64
}

func newLoginCache(max int, ttl time.Duration) *loginCache {
	return &loginCache{max: max, ttl: ttl, m: make(map[loginKey]loginEntry)}
}

// get returns a cached login, and the generation to pass to put.
func (c *loginCache) get(k loginKey, now time.Time) (login, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if ok && !now.Before(e.expires) {
		delete(c.m, k)
		ok = false
	}
	return e.login, ok, c.gen
}

func (c *loginCache) put(k loginKey, l login, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= c.max {
		c.evict(now)
	}
	c.m[k] = loginEntry{login: l, expires: now.Add(c.ttl)}
}

// evict drops expired entries, and if none had expired the one closest to
// expiry.
func (c *loginCache) evict(now time.Time) {
	var oldest loginKey
	var oldestAt time.Time
	for k, e := range c.m {
		if !now.Before(e.expires) {
			delete(c.m, k)
			continue
		}
		if oldestAt.IsZero() || e.expires.Before(oldestAt) {
			oldest, oldestAt = k, e.expires
		}
	}
	if len(c.m) >= c.max {
		delete(c.m, oldest)
	}
}

// forget drops every cached login of a user, after its account changed.
func (c *loginCache) forget(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k := range c.m {
		if k.user == user {
			delete(c.m, k)
		}
	}
}

// accountCheckTTL is how long an account's state is trusted before it is
// read again.
const accountCheckTTL = 15 * time.Second

type accountState struct {
	exists, active bool
	role           string
	expires        time.Time
}

// accountCache remembers staff accounts' state for a short while.
type accountCache struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[string]accountState
}

func newAccountCache(ttl time.Duration) *accountCache {
	return &accountCache{ttl: ttl, m: make(map[string]accountState)}
}

func (c *accountCache) get(user string, now time.Time) (accountState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[user]
	if ok && !now.Before(st.expires) {
		delete(c.m, user)
		ok = false
	}
	return st, ok
}

func (c *accountCache) put(user string, st accountState, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= loginCacheSize {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= loginCacheSize {
			clear(c.m)
		}
	}
	st.expires = now.Add(c.ttl)
	c.m[user] = st
}

func (c *accountCache) forget(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, user)
}
