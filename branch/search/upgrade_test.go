package search_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/search"
	"stacks/replicate"
)

// TestUpgradeOldDatabase: a database made before migration 060 and the
// search index gains the new biblio columns (at their defaults) and an
// index built at Open.
func TestUpgradeOldDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "stacks.db")
	var old []replicate.Migration
	for _, m := range branch.Migrations(branchtest.Capabilities()...) {
		if m.Component == "branch" && m.Version < 60 || m.Component == "audit" || m.Component == "imports" {
			old = append(old, m)
		}
	}
	db, err := replicate.OpenDB(ctx, path, old)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO biblios (biblio_id, title, authors, subjects, format) VALUES ('b1', 'Señor Vivo', '["Old, Author"]', '[]', 'book')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	env := branchtest.Open(t, branchtest.Options{Dir: dir})
	b, err := env.Service.Biblio(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if b.Title != "Señor Vivo" || b.Series != nil || b.Notes != "" || b.Audience != "" || b.ISBNs != nil {
		t.Errorf("upgraded title: %+v", b)
	}
	x, err := search.Open(ctx, env.Service, nil, env.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	r, err := x.Search(ctx, domain.SearchQuery{Q: "senor"})
	if err != nil || r.Total != 1 {
		t.Fatalf("after upgrade: %+v, %v", r, err)
	}
}

// TestPopularityDecays: a loan counts for twelve months; the daily recount
// drops it after.
func TestPopularityDecays(t *testing.T) {
	l := catalogue(t)
	x := l.open()
	p, err := l.svc.RegisterPatron(l.ctx, domain.NewPatron{Cardnumber: "P1", Surname: "Reader", HomeBranch: "MAIN", Category: "ADULT", PIN: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.svc.Checkout(l.ctx, domain.CheckoutRequest{PatronID: p.PatronID, Barcode: "B00009"}); err != nil {
		t.Fatal(err)
	}
	pop := func() int {
		r := l.search(x, domain.SearchQuery{Q: "it"})
		for _, w := range r.Works {
			if w.Editions[0].BiblioID == l.ids["it"] {
				return w.Popularity
			}
		}
		t.Fatalf("It not found: %+v", r)
		return 0
	}
	if n := pop(); n != 1 {
		t.Fatalf("after a checkout: popularity %d, want 1", n)
	}
	l.env.Clock.Advance(366 * 24 * time.Hour)
	if err := x.RecountPopularity(l.ctx); err != nil {
		t.Fatal(err)
	}
	if n := pop(); n != 0 {
		t.Errorf("a year later: popularity %d, want 0", n)
	}
}
