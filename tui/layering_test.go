package tui_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering: the desk is a client of the API; it never links the
// appliance itself (node, its HTTP API, the store, sync).
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "stacks/tui").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, d := range strings.Fields(string(out)) {
		switch {
		case d == "stacks/node", strings.HasPrefix(d, "stacks/node/httpapi"), strings.HasPrefix(d, "stacks/node/demo"),
			strings.HasPrefix(d, "stacks/replicate/peersync"), strings.HasPrefix(d, "stacks/hardware"),
			strings.HasPrefix(d, "stacks/node/client/clienttest"):
			t.Errorf("stacks/tui imports %s", d)
		}
	}
}
