package node_test

import (
	"strings"
	"testing"
	"time"
)

// TestBootstrapProcess: a new branchd process starts from a running
// branchd's snapshot (--bootstrap-from), under its own node ID, and
// reaches the same state hash.
func TestBootstrapProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two branchd processes")
	}
	fast := []string{"--sync-interval", "150ms"}
	a := startBranchd(t, append(fast, "--data", t.TempDir())...)
	code, body, err := postJSON(a.url+"/api/v1/patrons", map[string]any{"cardnumber": "29470009990001", "firstname": "Before",
		"surname": "Bootstrap", "category_id": "ADULT", "pin": "1234"})
	if err != nil || code != 201 {
		t.Fatalf("register: %d %v %v", code, body, err)
	}
	sa, err := stateOf(a.url)
	if err != nil {
		t.Fatal(err)
	}
	b := startBranchd(t, append(fast, "--data", t.TempDir(), "--branch", "MAIN", "--demo=false", "--bootstrap-from", a.url)...)
	hash := converged(t, []string{a.url, b.url}, 30*time.Second)
	sb, err := stateOf(b.url)
	if err != nil {
		t.Fatal(err)
	}
	if sb.NodeID == sa.NodeID || sb.StateHash != hash {
		t.Fatalf("new replica %+v, peer %+v", sb, sa)
	}
	if logs := b.logText(); !strings.Contains(logs, "bootstrapped from a snapshot") {
		t.Fatalf("no bootstrap in the new replica's log:\n%s", logs)
	}
}
