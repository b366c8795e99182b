package demo_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/node/demo"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// loadDemo builds the demo library in a new database at path.
func loadDemo(tb testing.TB, path string) {
	tb.Helper()
	ctx := context.Background()
	db, err := replicate.OpenDB(ctx, path, branch.Migrations())
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	lg := replicate.NewLog(db, replicate.DefaultConfig(42), branch.Applier{})
	if err := lg.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	defer lg.Close()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	if _, err := demo.Load(ctx, lg, demo.Options{PINCost: 4, Rand: replicatetest.NewRand(1), Now: now, Location: time.UTC}); err != nil {
		tb.Fatal(err)
	}
}

// TestIndexesJustified: every index on items, biblios, patrons and loans
// serves a query the code runs (its EXPLAIN QUERY PLAN on the demo library
// uses it); the queries are copied from the code that runs them.
func TestIndexesJustified(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "demo.db")
	loadDemo(t, path)
	db, err := replicate.OpenDB(ctx, path, branch.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	uses := map[string][]string{ // index -> queries (from the code) that must use it
		"patrons_cardnumber": {`SELECT patron_id FROM patrons WHERE cardnumber=? AND registered_at<>'' ORDER BY patron_id LIMIT 1`},
		"patrons_surname": {`SELECT patron_id FROM patrons WHERE registered_at<>'' AND
			(cardnumber=? OR lower(surname||' '||firstname) LIKE ? OR lower(firstname||' '||surname) LIKE ? OR lower(email) LIKE ?)
			ORDER BY surname COLLATE NOCASE, firstname COLLATE NOCASE, patron_id LIMIT ?`},
		"biblios_isbn":   {`SELECT isbn, biblio_id FROM biblios WHERE isbn IN (SELECT value FROM json_each(?))`},
		"items_barcode":  {`SELECT item_id FROM items WHERE barcode=?`},
		"items_biblio":   {`SELECT i.item_id FROM items i LEFT JOIN biblios b USING (biblio_id) WHERE i.barcode<>'' AND i.biblio_id=? ORDER BY i.barcode, i.item_id LIMIT ? OFFSET ?`},
		"items_status":   {`SELECT i.item_id FROM items i LEFT JOIN biblios b USING (biblio_id) WHERE i.barcode<>'' AND i.status=? AND i.transit_to=? ORDER BY i.barcode, i.item_id LIMIT ? OFFSET ?`},
		"loans_patron":   {`SELECT count(*) FROM loans WHERE patron_id=? AND issued=1 AND return_stamp=''`},
		"loans_fork":     {`SELECT loan_id FROM loans WHERE item_id=?1 AND issued=1 AND return_stamp='' LIMIT 1`},
	}
	var have []string
	rows, err := db.Read().QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type='index' AND tbl_name IN ('items','biblios','patrons','loans')
		AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		have = append(have, n)
	}
	rows.Close()
	for _, idx := range have {
		qs, ok := uses[idx]
		if !ok {
			t.Errorf("index %s: no query listed that uses it", idx)
			continue
		}
		for _, q := range qs {
			plan := explain(t, db, q)
			t.Logf("%s:\n%s", idx, plan)
			if !strings.Contains(plan, idx) {
				t.Errorf("index %s unused by %s:\n%s", idx, q, plan)
			}
		}
	}
}

func explain(t *testing.T, db *replicate.DB, q string) string {
	n := strings.Count(q, "?")
	args := make([]any, n)
	for i := range args {
		args[i] = "x"
	}
	rows, err := db.Read().Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		rows.Scan(&id, &parent, &unused, &detail)
		b.WriteString("  " + detail + "\n")
	}
	return b.String()
}
