package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// A visitor's session lives in one cookie, signed with a key derived from
// the cluster key, so a session begun on one node is valid on every node
// of the cluster and no node stores sessions:
//
//	w1.<base64url(claims JSON)>.<base64url(HMAC-SHA256(key, "w1." + claims part))>
//
// The key is HMAC(cluster key, "stacks patron web session v1"): a web
// cookie is not an API token and an API token is not a cookie, though
// both rest on the one cluster secret. Every visitor gets a session (the
// login form needs a CSRF token too); logging in starts a new one, so a
// session ID planted before login is worth nothing after it.
const (
	sessionCookie = "stacks_session"
	langCookie    = "stacks_lang"
	sessionPrefix = "w1."
	// sessionTTL is how long a session lasts without use; each page
	// renews it.
	sessionTTL = 30 * time.Minute
	// sessionMax is how long a logged-in session lasts at most.
	sessionMax = 12 * time.Hour
)

// session is what the cookie says.
type session struct {
	// ID is random, and the CSRF tokens of the session's forms derive
	// from it.
	ID string `json:"sid"`
	// PatronID is the logged-in patron, or empty.
	PatronID string `json:"pid,omitempty"`
	// LoginAt is when the patron logged in (Unix seconds).
	LoginAt int64 `json:"login,omitempty"`
	// LoginMs is when, in Unix milliseconds: a cutoff (logout, PIN
	// change) ends the sessions begun at or before it.
	LoginMs   int64 `json:"lms,omitempty"`
	ExpiresAt int64 `json:"exp"`
}

var b64 = base64.RawURLEncoding

// sessions signs and checks cookies.
type sessions struct {
	key []byte
	rnd io.Reader
}

func newSessions(clusterKey []byte, rnd io.Reader) sessions {
	m := hmac.New(sha256.New, clusterKey)
	m.Write([]byte("stacks patron web session v1"))
	return sessions{key: m.Sum(nil), rnd: rnd}
}

func (s sessions) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// newID is a fresh random session ID.
func (s sessions) newID() (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(s.rnd, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func (s sessions) encode(ss session) string {
	j, _ := json.Marshal(ss)
	msg := sessionPrefix + b64.EncodeToString(j)
	return msg + "." + b64.EncodeToString(s.mac("session", msg))
}

// decode checks a cookie's signature and expiry at now.
func (s sessions) decode(v string, now time.Time) (session, bool) {
	if !strings.HasPrefix(v, sessionPrefix) || len(v) > 1024 {
		return session{}, false
	}
	i := strings.LastIndexByte(v, '.')
	if i <= len(sessionPrefix) {
		return session{}, false
	}
	msg, sig := v[:i], v[i+1:]
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac("session", msg)) {
		return session{}, false
	}
	j, err := b64.DecodeString(msg[len(sessionPrefix):])
	if err != nil {
		return session{}, false
	}
	var ss session
	if err := json.Unmarshal(j, &ss); err != nil || ss.ID == "" {
		return session{}, false
	}
	if !now.Before(time.Unix(ss.ExpiresAt, 0)) {
		return session{}, false
	}
	if ss.PatronID != "" && !now.Before(time.Unix(ss.LoginAt, 0).Add(sessionMax)) {
		return session{}, false
	}
	return ss, true
}

// loginMs is when the session began, in Unix milliseconds.
func (ss session) loginMs() int64 {
	if ss.LoginMs != 0 {
		return ss.LoginMs
	}
	return ss.LoginAt * 1000
}

// ended reports whether a logout or a PIN change, on any node, has ended
// the logged-in session ss.
func (s *Server) ended(ctx context.Context, ss session) (bool, error) {
	if s.cfg.Sessions == nil || ss.PatronID == "" {
		return false, nil
	}
	before, keep, err := s.cfg.Sessions.Cutoff(ctx, ss.PatronID)
	if err != nil {
		return false, err
	}
	return ss.loginMs() <= before && ss.ID != keep, nil
}

// csrf is the CSRF token of the session's forms.
func (s sessions) csrf(ss session) string { return b64.EncodeToString(s.mac("csrf", ss.ID)) }

// checkCSRF reports whether tok is the session's CSRF token.
func (s sessions) checkCSRF(ss session, tok string) bool {
	got, err := b64.DecodeString(tok)
	return err == nil && hmac.Equal(got, s.mac("csrf", ss.ID))
}

// setCookie sends a cookie: HttpOnly, SameSite=Lax and, when the browser
// reached us over TLS (directly, or through a trusted proxy that says so),
// Secure.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.overTLS(r)})
}
