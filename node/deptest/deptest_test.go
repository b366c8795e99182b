package deptest_test

import (
	"strings"
	"testing"

	"stacks/node/deptest"
)

func TestProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule deptest.Rule
		n    int      // problems
		want []string // substrings of the problems
	}{
		{"OK", deptest.Rule{Packages: "stacks/node/deptest", Forbidden: map[string]string{"net/http": "no HTTP here"}}, 0, nil},
		{"Direct", deptest.Rule{Packages: "stacks/node/deptest", Direct: true, Forbidden: map[string]string{"os/exec": "runs no commands"}},
			1, []string{"stacks/node/deptest links os/exec (stacks/node/deptest -> os/exec): runs no commands"}},
		{"Linked", deptest.Rule{Packages: "stacks/node/deptest", Forbidden: map[string]string{"syscall": "no system calls"}},
			1, []string{"stacks/node/deptest links syscall (stacks/node/deptest -> ", " -> syscall): no system calls"}},
		{"NotDirect", deptest.Rule{Packages: "stacks/node/deptest", Direct: true, Forbidden: map[string]string{"syscall": "no system calls"}}, 0, nil},
		{"Pattern", deptest.Rule{Packages: "stacks/node/deptest", Direct: true, Forbidden: map[string]string{"os/...": "no OS"}},
			2, []string{"stacks/node/deptest links os (stacks/node/deptest -> os): no OS",
				"stacks/node/deptest links os/exec (stacks/node/deptest -> os/exec): no OS"}},
		{"Missing", deptest.Rule{Packages: "stacks/node/deptest", Forbidden: map[string]string{"stacks/no/such/package": "renamed"}},
			1, []string{"forbidden stacks/no/such/package names no package"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.rule.Problems()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.n {
				t.Fatalf("problems %q, want %d", got, tc.n)
			}
			all := strings.Join(got, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems %q lack %q", got, w)
				}
			}
		})
	}
}
