package node_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTailnetLayering: the tailnet transport knows no domain, and tsnet
// reaches no package that the simulations or the domain use.
func TestTailnetLayering(t *testing.T) {
	for _, r := range []struct {
		pkg       string
		forbidden []string
	}{
		{"stacks/replicate/tailnet", []string{"stacks/branch", "stacks/node", "stacks/replicate"}},
		{"stacks/replicate/peersync", []string{"tailscale.com/tsnet"}},
		{"stacks/simulations", []string{"tailscale.com/tsnet"}},
	} {
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
