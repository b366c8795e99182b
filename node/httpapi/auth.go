package httpapi

import (
	"context"
	"crypto/sha256"
	"net/http"
	"sync"
	"time"

	"stacks/branch"
)

// Verified logins are remembered for a while: bcrypt costs tens of
// milliseconds, and a desk client sends its credentials with every request.
const (
	loginCacheSize = 1024
	loginCacheTTL  = 5 * time.Minute
)

// anonymous is who acts without credentials.
var anonymous = branch.Actor{ID: "anonymous", Channel: branch.ChannelAPI}

// channels a client may claim with the X-Stacks-Channel header.
var channels = map[branch.Channel]bool{
	branch.ChannelWeb: true, branch.ChannelKiosk: true, branch.ChannelAPI: true,
	branch.ChannelEmail: true, branch.ChannelDesk: true,
}

// identify puts who is acting into the request's context: a staff login
// given with HTTP Basic credentials, else an anonymous API client.
func (a *API) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor := anonymous
		if r.Header.Get("Authorization") != "" {
			user, pass, ok := r.BasicAuth()
			if !ok {
				writeProblem(w, problem{Status: http.StatusUnauthorized, Code: "bad_credentials",
					Detail: "Only HTTP Basic credentials are accepted."})
				return
			}
			st, err := a.login(r.Context(), user, pass)
			if err != nil {
				a.fail(w, r, err)
				return
			}
			actor = branch.Actor{ID: st.username, Role: st.role, Channel: channelFor(st.role)}
		}
		if h := r.Header.Get("X-Stacks-Channel"); h != "" {
			ch := branch.Channel(h)
			if !channels[ch] {
				writeProblem(w, problem{Status: http.StatusBadRequest, Code: "invalid",
					Detail: "X-Stacks-Channel must be one of web, kiosk, api, email or desk."})
				return
			}
			actor.Channel = ch
		}
		next.ServeHTTP(w, r.WithContext(branch.WithActor(r.Context(), actor)))
	})
}

// channelFor is the channel a staff role works through by default.
func channelFor(role string) branch.Channel {
	switch role {
	case branch.RoleCirculation, branch.RoleSupervisor, branch.RoleAdmin:
		return branch.ChannelDesk
	}
	return branch.ChannelAPI
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
