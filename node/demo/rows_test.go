package demo_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
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
		"biblios_isbn":  {`SELECT isbn, biblio_id FROM biblios WHERE isbn IN (SELECT value FROM json_each(?))`},
		"items_barcode": {`SELECT item_id FROM items WHERE barcode=?`},
		"items_biblio":  {`SELECT i.item_id FROM items i LEFT JOIN biblios b USING (biblio_id) WHERE i.barcode<>'' AND i.biblio_id=? ORDER BY i.barcode, i.item_id LIMIT ? OFFSET ?`},
		"items_status":  {`SELECT i.item_id FROM items i LEFT JOIN biblios b USING (biblio_id) WHERE i.barcode<>'' AND i.status=? AND i.transit_to=? ORDER BY i.barcode, i.item_id LIMIT ? OFFSET ?`},
		"loans_patron":  {`SELECT count(*) FROM loans WHERE patron_id=? AND issued=1 AND return_stamp=''`},
		"loans_fork":    {`SELECT loan_id FROM loans WHERE item_id=?1 AND issued=1 AND return_stamp='' LIMIT 1`},
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

// copyDB copies the closed database at path to a new file.
func copyDB(tb testing.TB, path string) string {
	tb.Helper()
	to := filepath.Join(tb.TempDir(), "copy.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(to+suffix, b, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return to
}

// clocksOf reads every LWW row's clocks: table/key -> stored value, type.
func clocksOf(tb testing.TB, path string) map[string][2]string {
	tb.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	out := map[string][2]string{}
	for table, keys := range branch.LWWTables() {
		rows, err := db.Query("SELECT (" + strings.Join(keys, "||'/'||") + "), clocks, typeof(clocks) FROM " + table)
		if err != nil {
			tb.Fatal(err)
		}
		for rows.Next() {
			var k, v, typ string
			if err := rows.Scan(&k, &v, &typ); err != nil {
				tb.Fatal(err)
			}
			out[table+" "+k] = [2]string{v, typ}
		}
		rows.Close()
	}
	return out
}

func hashOf(tb testing.TB, path string) string {
	tb.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	h, err := replicate.StateHash(context.Background(), db, branch.StateTables())
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// TestMigrateDemoLibrary: the demo library in the old format (clocks as
// JSON text) is converted in place by migration 100 to what a library
// loaded in the new format stores, byte for byte; every row decodes to its
// JSON; the state hash of the old-format, the migrated and the new-format
// library is one.
func TestMigrateDemoLibrary(t *testing.T) {
	ctx := context.Background()
	born := filepath.Join(t.TempDir(), "demo.db")
	loadDemo(t, born)
	old := copyDB(t, born)
	if err := branchtest.Downgrade(ctx, old); err != nil {
		t.Fatal(err)
	}
	want, legacy := clocksOf(t, born), clocksOf(t, old)
	hNew, hOld := hashOf(t, born), hashOf(t, old)
	if hNew != hOld {
		t.Fatalf("state hash: new format %s, old format %s", hNew, hOld)
	}
	start := time.Now()
	db, err := replicate.OpenDB(ctx, old, branch.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	took := time.Since(start)
	got := clocksOf(t, old)
	multi := 0
	for k, v := range legacy {
		if v[1] != "text" {
			t.Fatalf("%s: old format is %s", k, v[1])
		}
		g := got[k]
		if g[1] != "blob" || g[0] != want[k][0] {
			t.Fatalf("%s: migrated %x (%s), new format %x", k, g[0], g[1], want[k][0])
		}
		table, _, _ := strings.Cut(k, " ")
		js, err := branch.ClocksJSON(table, []byte(g[0]))
		if err != nil || js != v[0] {
			t.Fatalf("%s: decodes to %s (%v), JSON was %s", k, js, err, v[0])
		}
		if m, _ := branch.DecodeClocks(table, []byte(g[0])); len(distinct(m)) > 1 {
			multi++
		}
	}
	if h := hashOf(t, old); h != hOld {
		t.Fatalf("state hash after the migration %s, before %s", h, hOld)
	}
	t.Logf("%d rows converted in %v, %d with more than one stamp; state %s", len(legacy), took, multi, hOld)
}

// BenchmarkCompactRows measures the bytes per row of items, biblios and
// patrons on the demo library (sqlite3's dbstat over VACUUMed copies),
// in the old format (clocks as JSON text) and in the new one.
func BenchmarkCompactRows(b *testing.B) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		b.Skip("no sqlite3 command: no dbstat")
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		born := filepath.Join(b.TempDir(), "demo.db")
		loadDemo(b, born)
		old := copyDB(b, born)
		if err := branchtest.Downgrade(ctx, old); err != nil {
			b.Fatal(err)
		}
		for _, f := range []struct{ name, path string }{{"old", old}, {"new", born}} {
			if out, err := exec.Command("sqlite3", f.path, "VACUUM").CombinedOutput(); err != nil {
				b.Fatalf("vacuum: %v %s", err, out)
			}
			for _, table := range []string{"items", "biblios", "patrons"} {
				q := fmt.Sprintf(`SELECT (SELECT count(*) FROM %[1]s),
					(SELECT sum(pgsize) FROM dbstat WHERE name='%[1]s'),
					(SELECT sum(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name='%[1]s')),
					(SELECT avg(length(clocks)) FROM %[1]s)`, table)
				out, err := exec.Command("sqlite3", "-readonly", f.path, q).Output()
				if err != nil {
					b.Fatalf("dbstat: %v", err)
				}
				var rows, tbytes, all int64
				var clocks float64
				if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "%d|%d|%d|%g", &rows, &tbytes, &all, &clocks); err != nil {
					b.Fatalf("%q: %v", out, err)
				}
				b.ReportMetric(float64(tbytes)/float64(rows), table+"-B/row-"+f.name)
				b.ReportMetric(float64(all)/float64(rows), table+"+idx-B/row-"+f.name)
				b.ReportMetric(clocks, table+"-clocks-B-"+f.name)
				if i == 0 && f.name == "new" {
					b.ReportMetric(float64(rows), table)
				}
			}
		}
	}
}

func distinct(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, st := range m {
		out[st] = true
	}
	return out
}
