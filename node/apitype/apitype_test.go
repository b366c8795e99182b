package apitype_test

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// TestImports keeps apitype a leaf that both server and client can import:
// the standard library, syncstate and the domain's plain types
// (branch/domain). Never the service, the server, the client or storage.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case path == "stacks/branch/domain", path == "stacks/replicate/syncstate":
			case strings.Contains(strings.Split(path, "/")[0], "."), strings.HasPrefix(path, "stacks/"):
				t.Errorf("%s imports %s: apitype imports only the standard library and plain types", name, path)
			}
		}
	}
}

// syncstate must never link storage: apitype re-exports its PeerStatus.
func TestSyncstateLinksNoStorage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "stacks/replicate/syncstate").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, d := range strings.Fields(string(out)) {
		if strings.HasPrefix(d, "stacks/") && d != "stacks/replicate/syncstate" || strings.Contains(d, "sqlite") {
			t.Errorf("syncstate depends on %s", d)
		}
	}
}

// The shapes keep the wire names the API has always had.
func TestWireNames(t *testing.T) {
	exp := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"problem", apitype.Problem{Type: "about:blank", Title: "Forbidden", Status: 403, Code: "patron_blocked", Detail: "d",
			Overridable: true, Refusals: []apitype.Refusal{{Code: "a", Detail: "b"}}},
			`{"type":"about:blank","title":"Forbidden","status":403,"code":"patron_blocked","detail":"d","overridable":true,"refusals":[{"code":"a","detail":"b"}]}`},
		{"session", apitype.Session{Token: "t", ExpiresAt: exp, Role: "desk", Username: "u", Branch: "MAIN"},
			`{"token":"t","expires_at":"2026-03-04T05:06:07Z","role":"desk","username":"u","library_id":"MAIN"}`},
		{"checkout", apitype.Checkout{Loan: &domain.Loan{}, Cardnumber: "c", HoldFilled: "h"}, ""},
		{"peer", apitype.PeerStatus{URL: "u", Errors: 1}, `{"url":"u","errors":1,"ops_behind":0,"ops_ahead":0,"ops_pulled":0,"ops_pushed":0,"bytes_in":0,"bytes_out":0,"rejected_batches":0}`},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.want != "" && string(b) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, b, c.want)
		}
		if c.name == "checkout" {
			var m map[string]any
			json.Unmarshal(b, &m)
			if m["cardnumber"] != "c" || m["hold_filled"] != "h" {
				t.Errorf("checkout is not flat: %s", b)
			}
			if _, ok := m["checkout_id"]; !ok {
				t.Errorf("checkout lacks the loan's fields: %s", b)
			}
		}
	}
}
