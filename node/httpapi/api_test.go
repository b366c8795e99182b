package httpapi_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node/httpapi"
)

func TestNewValidates(t *testing.T) {
	if _, err := httpapi.New(httpapi.Config{}); err == nil {
		t.Error("New without a service: no error")
	}
	f := newFixtureWith(t, fixtureConfig{})
	if _, err := httpapi.New(httpapi.Config{Service: f.svc, MaxBodyBytes: -1}); err == nil {
		t.Error("New with a negative body limit: no error")
	}
}

func TestHealthz(t *testing.T) {
	f := newFixtureWith(t, fixtureConfig{})
	var got map[string]string
	r := f.do("GET", "/healthz", nil)
	r.want(t, http.StatusOK, &got)
	if got["status"] != "ok" {
		t.Errorf("healthz = %v", got)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestClusterState(t *testing.T) {
	f := newFixture(t)
	var st struct {
		NodeID        string            `json:"node_id"`
		VersionVector map[string]uint64 `json:"version_vector"`
		StateHash     string            `json:"state_hash"`
	}
	f.do("GET", "/api/v1/cluster/state", nil).want(t, http.StatusOK, &st)
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(st.NodeID) {
		t.Errorf("node_id %q is not 16 hex digits", st.NodeID)
	}
	if st.NodeID != "0000000000000001" {
		t.Errorf("node_id %q, want node 1", st.NodeID)
	}
	if st.VersionVector[st.NodeID] == 0 {
		t.Errorf("version vector %v lacks this node's ops", st.VersionVector)
	}
	if len(st.StateHash) < 16 {
		t.Errorf("state_hash %q", st.StateHash)
	}
	before := st.VersionVector[st.NodeID]
	f.checkout(card(f.patrons["Alice"]), "B0001")
	f.do("GET", "/api/v1/cluster/state", nil).want(t, http.StatusOK, &st)
	if st.VersionVector[st.NodeID] <= before {
		t.Errorf("version vector did not advance after a checkout: %d then %d", before, st.VersionVector[st.NodeID])
	}
}

func TestRoutesUnknownAndWrongMethod(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"UnknownRoute", "GET", "/api/v1/nothing", http.StatusNotFound, "not_found"},
		{"UnknownRoot", "GET", "/", http.StatusNotFound, "not_found"},
		{"UnknownSubresource", "GET", "/api/v1/patrons/x/y/z", http.StatusNotFound, "not_found"},
		{"WrongMethod", "DELETE", "/api/v1/checkouts", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"WrongMethodHealthz", "POST", "/healthz", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"UnknownPatron", "GET", "/api/v1/patrons/nobody", http.StatusNotFound, "patron_not_found"},
		{"UnknownItem", "GET", "/api/v1/items/nothing", http.StatusNotFound, "item_not_found"},
		{"UnknownBiblio", "GET", "/api/v1/biblios/nothing/items", http.StatusNotFound, "biblio_not_found"},
		{"UnknownCheckout", "GET", "/api/v1/checkouts/nothing", http.StatusNotFound, "checkout_not_found"},
		{"UnknownHold", "GET", "/api/v1/holds/nothing", http.StatusNotFound, "hold_not_found"},
		{"UnknownLibrary", "GET", "/api/v1/libraries/NOPE", http.StatusNotFound, "library_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(tt.method, tt.path, nil)
			r.wantProblem(t, tt.status, tt.code)
			if tt.status == http.StatusMethodNotAllowed && r.header.Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	blocked := card(f.patrons["Dave"])
	overrideAs := func(opts ...reqOpt) response {
		return f.do("POST", "/api/v1/checkouts", map[string]any{"cardnumber": blocked, "barcode": "B0001",
			"override": map[string]string{"reason": "test"}}, opts...)
	}
	t.Run("WrongPassword", func(t *testing.T) {
		r := f.do("GET", "/api/v1/libraries", nil, basicAuth("admin", "wrong"))
		r.wantProblem(t, http.StatusUnauthorized, "bad_credentials")
		if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="Stacks"` {
			t.Errorf("WWW-Authenticate %q", got)
		}
	})
	t.Run("UnknownUser", func(t *testing.T) {
		f.do("GET", "/api/v1/libraries", nil, basicAuth("nobody", "admin")).wantProblem(t, http.StatusUnauthorized, "bad_credentials")
	})
	t.Run("NotBasic", func(t *testing.T) {
		f.do("GET", "/api/v1/libraries", nil, header("Authorization", "Digest abc")).wantProblem(t, http.StatusUnauthorized, "bad_credentials")
		f.do("GET", "/api/v1/libraries", nil, header("Authorization", "Bearer abc")).wantProblem(t, http.StatusUnauthorized, "bad_token")
	})
	t.Run("Anonymous", func(t *testing.T) {
		f.do("GET", "/api/v1/libraries", nil, asAnon).want(t, http.StatusOK, nil)
		r := overrideAs(asAnon)
		r.wantProblem(t, http.StatusUnauthorized, "login_required")
		if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="Stacks"` {
			t.Errorf("WWW-Authenticate %q", got)
		}
		overrideAs(asClerk).wantProblem(t, http.StatusForbidden, "override_not_permitted")
	})
	t.Run("BadChannel", func(t *testing.T) {
		f.do("GET", "/api/v1/libraries", nil, header("X-Stacks-Channel", "carrier-pigeon")).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("GET", "/api/v1/libraries", nil, header("X-Stacks-Channel", "kiosk")).want(t, http.StatusOK, nil)
	})
	t.Run("CacheExpires", func(t *testing.T) {
		f.do("GET", "/api/v1/libraries", nil, asAdmin).want(t, http.StatusOK, nil)
		// The password changes behind the API's back: the cached login
		// still works until it expires.
		_, err := f.svc.SetStaff(f.admin, domain.NewStaff{Username: "admin", Role: domain.RoleAdmin, Password: "changed"})
		must(t, err)
		f.do("GET", "/api/v1/libraries", nil, asAdmin).want(t, http.StatusOK, nil)
		f.clock.Advance(5*time.Minute + time.Second)
		f.do("GET", "/api/v1/libraries", nil, asAdmin).wantProblem(t, http.StatusUnauthorized, "bad_credentials")
		f.do("GET", "/api/v1/libraries", nil, basicAuth("admin", "changed")).want(t, http.StatusOK, nil)
	})
	t.Run("PutStaffForgetsLogin", func(t *testing.T) {
		f.do("GET", "/api/v1/libraries", nil, asClerk).want(t, http.StatusOK, nil)
		f.do("PUT", "/api/v1/staff/clerk", map[string]string{"role": "supervisor", "password": "newpass"},
			basicAuth("admin", "changed")).want(t, http.StatusOK, nil)
		f.do("GET", "/api/v1/libraries", nil, asClerk).wantProblem(t, http.StatusUnauthorized, "bad_credentials")
		// The new role takes effect at once too: a supervisor may override.
		overrideAs(basicAuth("clerk", "newpass")).want(t, http.StatusCreated, nil)
	})
}

func TestPanicRecovery(t *testing.T) {
	logs := &syncBuffer{}
	lg := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixtureWith(t, fixtureConfig{logger: lg})
	srv := httptest.NewServer(f.api.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic("kaboom")
		}
		w.WriteHeader(http.StatusNoContent)
	})))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/boom")
	must(t, err)
	var p problemJSON
	must(t, json.NewDecoder(res.Body).Decode(&p))
	res.Body.Close()
	if res.StatusCode != http.StatusInternalServerError || p.Code != "internal" || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("panic answered %d %+v", res.StatusCode, p)
	}
	if strings.Contains(p.Detail, "kaboom") {
		t.Errorf("the panic leaked to the client: %q", p.Detail)
	}
	// The server lives on.
	res, err = srv.Client().Get(srv.URL + "/fine")
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("after a panic: %d", res.StatusCode)
	}
	out := logs.String()
	for _, want := range []string{"handler panicked", "kaboom", "path=/boom", "status=500", "method=GET"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
