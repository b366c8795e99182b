package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"
)

// Session tokens are claims signed with the cluster key (HMAC-SHA256), so
// that a token issued by one node is valid on every node sharing the key:
//
//	stacks1.<base64url(claims JSON)>.<base64url(HMAC-SHA256(key, "stacks1." + claims part))>
//
// No JWT library: the format is ours, versioned by its prefix, and has
// exactly one algorithm, so there is no "alg" to confuse.
const tokenPrefix = "stacks1."

// Token kinds.
const (
	kindStaff  = "staff"
	kindPatron = "patron"
)

// MinClusterKeyBytes is the shortest cluster key accepted.
const MinClusterKeyBytes = 16

// claims are what a token says.
type claims struct {
	// Subject is the staff username or the patron's ID.
	Subject string `json:"sub"`
	Role    string `json:"role"`
	Kind    string `json:"kind"`
	// Branch is the branch of the node that issued the token.
	Branch    string `json:"branch,omitempty"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
}

var (
	errBadToken     = errors.New("httpapi: malformed or forged token")
	errExpiredToken = errors.New("httpapi: expired token")
)

var b64 = base64.RawURLEncoding

// signer issues and checks tokens with one key.
type signer struct {
	key  []byte
	seen *verifiedTokens
}

func newSigner(key []byte) signer {
	return signer{key: bytes.Clone(key), seen: &verifiedTokens{m: map[string]claims{}}}
}

// verifiedTokens remembers the tokens whose signature verify has checked,
// so that a client sending the same token with every request pays the
// HMAC and the claims' decoding once (2 % of a central leader's CPU at 16
// clients; BENCHMARKS, issue 21 session 18). The claims of a token cannot
// change under its signature, so a remembered token is as good as one
// checked again; its expiry is still checked at every use, and a staff
// account deactivated since is still refused by checkAccount. At
// maxVerifiedTokens it starts again empty.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[string]claims
}

const maxVerifiedTokens = 4096

func (v *verifiedTokens) get(tok string) (claims, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.m[tok]
	return c, ok
}

func (v *verifiedTokens) put(tok string, c claims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.m) >= maxVerifiedTokens {
		clear(v.m)
	}
	v.m[strings.Clone(tok)] = c
}

func (s signer) mac(msg string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// sign returns the token for c.
func (s signer) sign(c claims) (string, error) {
	j, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	msg := tokenPrefix + b64.EncodeToString(j)
	return msg + "." + b64.EncodeToString(s.mac(msg)), nil
}

// verify checks a token's signature and expiry at now.
func (s signer) verify(tok string, now time.Time) (claims, error) {
	if !strings.HasPrefix(tok, tokenPrefix) || len(tok) > 4096 {
		return claims{}, errBadToken
	}
	if c, ok := s.seen.get(tok); ok {
		if !now.Before(time.Unix(c.ExpiresAt, 0)) {
			return claims{}, errExpiredToken
		}
		return c, nil
	}
	i := strings.LastIndexByte(tok, '.')
	if i <= len(tokenPrefix) {
		return claims{}, errBadToken
	}
	msg, sig := tok[:i], tok[i+1:]
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(msg)) {
		return claims{}, errBadToken
	}
	j, err := b64.DecodeString(msg[len(tokenPrefix):])
	if err != nil {
		return claims{}, errBadToken
	}
	var c claims
	if err := json.Unmarshal(j, &c); err != nil || c.Subject == "" || (c.Kind != kindStaff && c.Kind != kindPatron) {
		return claims{}, errBadToken
	}
	if !now.Before(time.Unix(c.ExpiresAt, 0)) {
		return claims{}, errExpiredToken
	}
	s.seen.put(tok, c)
	return c, nil
}
