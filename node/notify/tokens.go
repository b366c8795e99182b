package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// Links in notices carry signed tokens, so the node that serves a click,
// an open or an unsubscribe needs no table of links, and any node of the
// cluster can serve them:
//
//	n1.<base64url(claims JSON)>.<base64url(HMAC-SHA256(key, "n1." + claims part))>
//
// The key is HMAC(cluster key, "stacks notice links v1"): a notice link is
// neither a web session nor an API token, though all rest on the one
// cluster secret. A click token names the one URL it redirects to, so
// /n/c/ is never an open redirect.
const tokenPrefix = "n1."

// Token purposes.
const (
	purposeOpen  = "o"
	purposeClick = "c"
	purposeUnsub = "u"
)

type claims struct {
	Purpose string `json:"t"`
	Key     string `json:"k,omitempty"` // the notice's key
	URL     string `json:"u,omitempty"` // click: where it goes
	Patron  string `json:"p,omitempty"` // unsubscribe: whose preferences
	// Notices are the patron's notice preferences (domain.Notices) the
	// unsubscribe turns off.
	Notices []string `json:"n,omitempty"`
	Lang    string   `json:"l,omitempty"`
	// Exp is when the link stops working (Unix seconds; Config.LinkTTL
	// after the message was written). A token signed before links expired
	// has none and keeps working.
	Exp int64 `json:"e,omitempty"`
}

// expired reports whether a verified token's link has expired at now.
func (c claims) expired(now time.Time) bool { return c.Exp != 0 && now.Unix() >= c.Exp }

var b64 = base64.RawURLEncoding

type signer struct{ key []byte }

func newSigner(clusterKey []byte) signer {
	m := hmac.New(sha256.New, clusterKey)
	m.Write([]byte("stacks notice links v1"))
	return signer{key: m.Sum(nil)}
}

func (s signer) mac(msg string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func (s signer) sign(c claims) string {
	j, _ := json.Marshal(c)
	msg := tokenPrefix + b64.EncodeToString(j)
	return msg + "." + b64.EncodeToString(s.mac(msg))
}

// verify checks a token's signature and purpose.
func (s signer) verify(tok, purpose string) (claims, bool) {
	if !strings.HasPrefix(tok, tokenPrefix) || len(tok) > 4096 {
		return claims{}, false
	}
	i := strings.LastIndexByte(tok, '.')
	if i <= len(tokenPrefix) {
		return claims{}, false
	}
	msg, sig := tok[:i], tok[i+1:]
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(msg)) {
		return claims{}, false
	}
	j, err := b64.DecodeString(msg[len(tokenPrefix):])
	if err != nil {
		return claims{}, false
	}
	var c claims
	if err := json.Unmarshal(j, &c); err != nil || c.Purpose != purpose {
		return claims{}, false
	}
	return c, true
}
