package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestAuthMe(t *testing.T) {
	f := newFixture(t)
	if r := f.do("GET", "/api/v1/auth/me", nil, asAnon); r.status != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", r.status)
	}
	r := f.do("GET", "/api/v1/auth/me", nil, asClerk)
	var me map[string]string
	json.Unmarshal(r.body, &me)
	if r.status != 200 || me["username"] != "clerk" || me["role"] != "circulation" {
		t.Fatalf("clerk: %d %s", r.status, r.body)
	}
	if r := f.do("GET", "/api/v1/auth/me", nil, basicAuth("clerk", "wrong")); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.status)
	}
}
