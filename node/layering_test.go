package node_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps the package layout of DESIGN.md true: the domain knows
// no HTTP, SIP2, terminals or Raft; replicate knows no domain.
func TestLayering(t *testing.T) {
	// The simulations run the central state machine (replicate/central,
	// which also holds its HTTP forwarding), but their own code must not
	// touch the network: their messages go through the simulated one.
	out, err := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, "stacks/simulations").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, imp := range strings.Fields(string(out)) {
		if imp == "net/http" || imp == "net" {
			t.Errorf("stacks/simulations imports %s itself", imp)
		}
	}
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{"stacks/replicate", []string{"stacks/branch", "stacks/node", "stacks/hardware", "stacks/tui", "net/http", "github.com/hashicorp/raft"}},
		{"stacks/branch", []string{"stacks/node", "stacks/hardware", "stacks/tui", "net/http", "github.com/hashicorp/raft",
			"github.com/charmbracelet/bubbletea", "tailscale.com/tsnet"}},
		{"stacks/branch/marc", []string{"stacks/branch", "stacks/replicate", "stacks/node"}},
		{"stacks/replicate/peersync", []string{"stacks/branch", "stacks/node"}},
		{"stacks/simulations", []string{"stacks/node", "stacks/hardware", "stacks/tui"}},
		{"stacks/node/httpapi", []string{"stacks/node", "stacks/tui"}},
	}
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-deps", r.pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", r.pkg, err, out)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[d] = true
		}
		for _, f := range r.forbidden {
			if deps[f] {
				t.Errorf("%s imports %s", r.pkg, f)
			}
		}
	}
}
