package domain_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"stacks/branch/domain"
)

// codeConstants parses errors.go for the constants of type Code, so that a
// new one cannot be forgotten in the table.
func codeConstants(t *testing.T) map[string]domain.Code {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]domain.Code{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for i, n := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("%s: a code is a string literal", n.Name)
				}
				v, _ := strconv.Unquote(lit.Value)
				out[n.Name] = domain.Code(v)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no Code constants found in errors.go")
	}
	return out
}

func TestEveryCodeHasAKind(t *testing.T) {
	consts := codeConstants(t)
	listed := domain.Codes()
	seen := map[domain.Code]string{}
	for name, c := range consts {
		if prev, ok := seen[c]; ok {
			t.Errorf("%s and %s are both %q", prev, name, c)
		}
		seen[c] = name
		if !slices.Contains(listed, c) {
			t.Errorf("%s (%q) has no kind: add it to codeKinds", name, c)
		}
		if k := c.Kind(); k == domain.KindInternal && c != domain.CodeInternal {
			t.Errorf("%s (%q) is of kind internal: a refusal would answer 500", name, c)
		}
	}
	for _, c := range listed {
		if _, ok := seen[c]; !ok {
			t.Errorf("codeKinds lists %q, which is no constant", c)
		}
	}
	for _, k := range domain.Kinds() {
		if s := k.String(); s == "" || strings.HasPrefix(s, "Kind(") {
			t.Errorf("kind %d has no name", k)
		}
	}
	if domain.Code("no_such_code").Kind() != domain.KindInternal {
		t.Error("an unknown code should be internal")
	}
}

func TestErrorCodeAndKind(t *testing.T) {
	err := errors.Join(errors.New("context"), domain.ErrPatronBlocked)
	if got := domain.ErrorCode(err); got != domain.CodePatronBlocked {
		t.Fatalf("ErrorCode = %q", got)
	}
	if got := domain.ErrorCode(errors.New("disk on fire")); got != domain.CodeInternal {
		t.Fatalf("ErrorCode of a plain error = %q", got)
	}
	if k := domain.ErrPatronBlocked.Kind(); k != domain.KindRefused {
		t.Fatalf("kind %v", k)
	}
}

// TestNoCodeLiterals keeps every code a constant: branch makes its errors
// with them, and the channels (SIP2, the desk, the client, the API) compare
// them, never string literals that a renamed code would silently miss.
func TestNoCodeLiterals(t *testing.T) {
	consts := codeConstants(t)
	known := map[string]bool{}
	for _, c := range consts {
		known[string(c)] = true
	}
	byName := map[string]domain.Code{}
	for n, c := range consts {
		byName[n] = c
	}
	// branch and its capabilities (this package's errors.go declares the
	// codes), and the channels.
	roots := []string{"..", "../../hardware/sip2", "../../tui", "../../node/client", "../../node/httpapi"}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "marc" || d.Name() == "testdata") {
					return filepath.SkipDir // MARC is a file format: it owns no codes
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || filepath.Clean(path) == filepath.Join("..", "domain", "errors.go") {
				return nil
			}
			checkNoCodeLiterals(t, path, known, byName)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func checkNoCodeLiterals(t *testing.T, path string, known map[string]bool, byName map[string]domain.Code) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	codeLit := func(e ast.Expr) bool {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return false
		}
		v, _ := strconv.Unquote(lit.Value)
		return known[v]
	}
	report := func(n ast.Node, what string) {
		t.Errorf("%s: %s: use the domain.Code constant", fset.Position(n.Pos()), what)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if (n.Op == token.EQL || n.Op == token.NEQ) && (codeLit(n.X) || codeLit(n.Y)) {
				report(n, "a code compared with a literal")
			}
		case *ast.CaseClause:
			for _, e := range n.List {
				if codeLit(e) {
					report(e, "a code as a literal case")
				}
			}
		case *ast.KeyValueExpr:
			if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Code" {
				if codeLit(n.Value) {
					report(n, "an error made with a literal code")
				}
			}
		case *ast.CallExpr:
			fn, ok := n.Fun.(*ast.SelectorExpr) // domain.Fail, domain.Refuse
			if !ok || (fn.Sel.Name != "Fail" && fn.Sel.Name != "Refuse") || len(n.Args) == 0 {
				return true
			}
			switch a := n.Args[0].(type) {
			case *ast.BasicLit:
				report(n, "an error made with a literal code")
			case *ast.SelectorExpr:
				// Only rules refuse, and a supervisor may override only
				// a refusal.
				if c, ok := byName[a.Sel.Name]; ok && fn.Sel.Name == "Refuse" && c.Kind() != domain.KindRefused {
					report(n, "refuse with a code of kind "+c.Kind().String())
				}
			}
		}
		return true
	})
}
