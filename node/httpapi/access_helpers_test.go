package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"stacks/node/httpapi"
)

func b64json(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// serveLogin logs in against a, in process, and returns the token.
func serveLogin(t *testing.T, a *httpapi.API, user, pass string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/auth/login", bytes.NewReader(b)))
	var s struct{ Token string }
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &s) != nil || s.Token == "" {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	return s.Token
}

// serve sends one request with a Bearer token to a, in process.
func serve(t *testing.T, a *httpapi.API, method, path, token string) int {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	a.Handler().ServeHTTP(rec, req)
	return rec.Code
}
