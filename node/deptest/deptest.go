// Package deptest checks the module's layering in tests: which packages a
// family of packages must never link, each with the reason why (in the
// manner of tailscale's tstest/deptest). The rules themselves live in
// node's layering tests, one test per package family, so the whole layout
// of DESIGN.md reads in one file.
//
// It sits under node because node is the one package that may know every
// other (DESIGN.md: only node wires them together); it imports nothing but
// the standard library, so any package's test may use it without linking
// node.
package deptest

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Rule forbids Packages to link any of Forbidden.
type Rule struct {
	// Packages is a pattern of the packages the rule is about, as go list
	// takes it ("stacks/branch/...").
	Packages string
	// Forbidden maps an import path to the reason it is forbidden. A path
	// ending in "/..." forbids that package and every package below it.
	Forbidden map[string]string
	// Direct checks only the packages' own imports, not everything they
	// link (for a package allowed to link something through another).
	Direct bool
	// Env is added to go list's environment ("CGO_ENABLED=0").
	Env []string
	// Pending, when set, says which step makes the rule hold: the rule is
	// skipped with it until the step is done and the field removed.
	Pending string
}

// pkg is a package of the build graph, as go list reports it.
type pkg struct {
	path    string
	root    bool // matched Rule.Packages
	imports []string
}

// Check fails t for each package of r.Packages that links (or, with
// Direct, imports) a forbidden package, naming the chain of imports that
// brings it in and the reason. It also fails if a forbidden path names no
// package, so a renamed package cannot make a rule pass silently.
func (r Rule) Check(t *testing.T) {
	t.Helper()
	if r.Pending != "" {
		t.Skipf("%s: rule not enforced until %s", r.Packages, r.Pending)
	}
	problems, err := r.Problems()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// Problems lists what Check reports: each forbidden package linked, with
// its chain of imports and the reason, and each forbidden path that names
// no package. It ignores Pending.
func (r Rule) Problems() ([]string, error) {
	graph, err := list(r.Env, "-deps", "-f", `{{if .DepOnly}}dep{{else}}root{{end}} {{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, r.Packages)
	if err != nil {
		return nil, err
	}
	pkgs := map[string]*pkg{}
	var roots []string
	for _, line := range graph {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		p := &pkg{path: f[1], root: f[0] == "root", imports: f[2:]}
		pkgs[p.path] = p
		if p.root {
			roots = append(roots, p.path)
		}
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("%s matches no package", r.Packages)
	}
	problems, err := r.missing()
	if err != nil {
		return nil, err
	}
	for _, root := range roots {
		for _, chain := range r.violations(pkgs, root) {
			bad := chain[len(chain)-1]
			problems = append(problems, fmt.Sprintf("%s links %s (%s): %s", root, bad, strings.Join(chain, " -> "), r.Forbidden[r.match(bad)]))
		}
	}
	return problems, nil
}

// violations walks the graph from root (breadth first, so each chain is a
// shortest one) and returns a chain of imports to each forbidden package.
func (r Rule) violations(pkgs map[string]*pkg, root string) [][]string {
	var found [][]string
	from := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		p := pkgs[cur]
		if p == nil {
			continue
		}
		for _, imp := range p.imports {
			if _, seen := from[imp]; seen {
				continue
			}
			from[imp] = cur
			if r.match(imp) != "" {
				chain := []string{imp}
				for at := cur; at != ""; at = from[at] {
					chain = append(chain, at)
				}
				slices.Reverse(chain)
				found = append(found, chain)
				continue
			}
			if !r.Direct {
				queue = append(queue, imp)
			}
		}
	}
	return found
}

// match is the key of Forbidden that forbids path (the exact path, else
// the longest pattern that covers it), or "".
func (r Rule) match(path string) string {
	if _, ok := r.Forbidden[path]; ok {
		return path
	}
	best := ""
	for k := range r.Forbidden {
		if covers(k, path) && len(k) > len(best) {
			best = k
		}
	}
	return best
}

// covers reports whether the forbidden key k (a path, or a path and
// "/...") covers the package path.
func covers(k, path string) bool {
	if prefix, ok := strings.CutSuffix(k, "/..."); ok {
		return path == prefix || strings.HasPrefix(path, prefix+"/")
	}
	return path == k
}

// missing lists the forbidden paths that name no package.
func (r Rule) missing() ([]string, error) {
	var paths []string
	for k := range r.Forbidden {
		paths = append(paths, k)
	}
	slices.Sort(paths)
	found, err := list(r.Env, append([]string{"-e", "-f", `{{if not .Error}}{{.ImportPath}}{{end}}`}, paths...)...)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, k := range paths {
		ok := false
		for _, f := range found {
			if f != "" && covers(k, f) {
				ok = true
				break
			}
		}
		if !ok {
			problems = append(problems, fmt.Sprintf("forbidden %s names no package (renamed or moved? update the rule)", k))
		}
	}
	return problems, nil
}

// list runs go list with args and returns its output's lines.
func list(env []string, args ...string) ([]string, error) {
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n"), nil
}
