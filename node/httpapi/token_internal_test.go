package httpapi

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestVerifiedTokensRemembered: a token whose signature verify has checked
// is remembered (the next request with it pays no HMAC), yet it still
// expires on time, a token differing by one character is still checked
// (and refused when forged), and the memory is bounded.
func TestVerifiedTokensRemembered(t *testing.T) {
	now := time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC)
	s := newSigner([]byte("0123456789abcdef0123456789abcdef"))
	tok, err := s.sign(claims{Subject: "admin", Role: "admin", Kind: kindStaff, IssuedAt: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.seen.get(tok); ok {
		t.Fatal("a token remembered before it was verified")
	}
	if c, err := s.verify(tok, now); err != nil || c.Subject != "admin" {
		t.Fatalf("verify: %+v %v", c, err)
	}
	if c, ok := s.seen.get(tok); !ok || c.Subject != "admin" {
		t.Fatal("a verified token was not remembered")
	}
	if c, err := s.verify(tok, now.Add(time.Minute)); err != nil || c.Subject != "admin" {
		t.Fatalf("verify again: %+v %v", c, err)
	}
	if _, err := s.verify(tok, now.Add(2*time.Hour)); !errors.Is(err, errExpiredToken) {
		t.Fatalf("a remembered token past its expiry: %v, want errExpiredToken", err)
	}
	forged := tok[:len(tok)-2] + "AA"
	if forged == tok {
		forged = tok[:len(tok)-2] + "BB"
	}
	if _, err := s.verify(forged, now); !errors.Is(err, errBadToken) {
		t.Fatalf("a forged token beside a remembered one: %v, want errBadToken", err)
	}
	for i := range maxVerifiedTokens + 10 {
		s.seen.put(fmt.Sprintf("t%d", i), claims{})
	}
	if n := len(s.seen.m); n > maxVerifiedTokens {
		t.Fatalf("%d tokens remembered, more than %d", n, maxVerifiedTokens)
	}
}
