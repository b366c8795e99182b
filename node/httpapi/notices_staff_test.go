package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"stacks/branch/notices"
)

// The staff notice routes refuse bad input with a clear problem; the
// print page is HTML for staff; the letters need the node's channels.
func TestNoticeStaffRoutes(t *testing.T) {
	f := newFixture(t)
	f.do("GET", "/api/v1/notices/stats?from=yesterday", nil).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("GET", "/api/v1/notices/stats?from=2026-12-02&to=2026-12-01", nil).wantProblem(t, http.StatusBadRequest, "invalid")
	var st notices.NoticeStats
	f.do("GET", "/api/v1/notices/stats?from=2026-01-01&to=2026-12-31", nil).want(t, http.StatusOK, &st)
	if st.Rows == nil || st.From != "2026-01-01" {
		t.Fatalf("stats %+v", st)
	}
	f.do("POST", "/api/v1/notices/print/posted", map[string]any{"keys": []string{}}).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("POST", "/api/v1/notices/print/posted", map[string]any{"keys": []string{"nope"}}).wantProblem(t, http.StatusNotFound, "not_found")
	f.do("POST", "/api/v1/notices/bounces", map[string]any{"key": "x", "status": "550"}).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("POST", "/api/v1/notices/bounces", map[string]any{"key": "welcome:nobody:email", "status": "5.1.1"}).wantProblem(t, http.StatusNotFound, "not_found")
	f.do("POST", "/api/v1/notices/bounces/dsn", rawBody("Subject: hi\r\n\r\nnot a report")).wantProblem(t, http.StatusBadRequest, "invalid")
	r := f.do("GET", "/notices/print", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "Notices to post") {
		t.Fatalf("print page: %d %s", r.status, r.body)
	}
	f.do("GET", "/notices/print/letters", nil).wantProblem(t, http.StatusServiceUnavailable, "notices_unavailable")
}
