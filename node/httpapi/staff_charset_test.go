package httpapi_test

import (
	"net/http"
	"testing"
)

// TestStaffCharset: a (kiosk) account's SIP2 character set is set with PUT
// or PATCH /api/v1/staff/{username} and shown by GET; UTF-8 by default.
func TestStaffCharset(t *testing.T) {
	f := newFixture(t)
	type staffJSON struct {
		Username string `json:"username"`
		Charset  string `json:"charset"`
		Active   bool   `json:"active"`
	}
	charsetOf := func(user string) string {
		t.Helper()
		var list []staffJSON
		f.do("GET", "/api/v1/staff", nil).want(t, http.StatusOK, &list)
		for _, s := range list {
			if s.Username == user {
				return s.Charset
			}
		}
		t.Fatalf("no account %s in %+v", user, list)
		return ""
	}
	var st staffJSON
	f.do("PUT", "/api/v1/staff/door", map[string]any{"role": "kiosk", "password": "door-pass"}).want(t, http.StatusOK, &st)
	if st.Charset != "utf-8" || charsetOf("door") != "utf-8" {
		t.Fatalf("default charset %q, listed %q", st.Charset, charsetOf("door"))
	}
	t.Run("OKPatch", func(t *testing.T) {
		f.do("PATCH", "/api/v1/staff/door", map[string]any{"charset": "CP850"}).want(t, http.StatusOK, &st)
		if st.Charset != "cp850" || !st.Active || charsetOf("door") != "cp850" {
			t.Fatalf("patched %+v, listed %q", st, charsetOf("door"))
		}
	})
	t.Run("OKPut", func(t *testing.T) {
		f.do("PUT", "/api/v1/staff/door", map[string]any{"role": "kiosk", "password": "door-pass", "charset": "latin-1"}).
			want(t, http.StatusOK, &st)
		if st.Charset != "latin-1" || charsetOf("door") != "latin-1" {
			t.Fatalf("put %+v", st)
		}
		// A PUT replaces the account: without a charset, it is UTF-8 again.
		f.do("PUT", "/api/v1/staff/door", map[string]any{"role": "kiosk", "password": "door-pass"}).want(t, http.StatusOK, &st)
		if st.Charset != "utf-8" {
			t.Fatalf("put without charset %+v", st)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		f.do("PATCH", "/api/v1/staff/door", map[string]any{"charset": "ebcdic"}).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("PUT", "/api/v1/staff/door", map[string]any{"role": "kiosk", "password": "door-pass", "charset": "koi8"}).
			wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("PATCH", "/api/v1/staff/door", map[string]any{}).wantProblem(t, http.StatusBadRequest, "invalid")
	})
}
