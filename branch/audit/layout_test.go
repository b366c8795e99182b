package audit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"stacks/branch"
	"stacks/branch/audit"
	"stacks/branch/branchtest"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// TestTimeOrderedAuditMigration: audit's migration 2 rebuilds a table of
// the old layout (rowid, audit_id key, four indexes) into the time-ordered
// one in place: every row is kept, the state hash does not change, the
// listing reads the same, and a record arriving again is still kept once.
func TestTimeOrderedAuditMigration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	migs := audit.Capability().Migrations
	if len(migs) < 2 || migs[1].Version != 2 {
		t.Fatalf("audit migrations %+v, want the time-ordered layout as 2", migs)
	}
	var rows []string
	for i := 0; i < 500; i++ {
		patron, item := "", ""
		if i%3 == 0 {
			patron = fmt.Sprintf("P%d", i%7)
		}
		if i%6 == 0 {
			item = fmt.Sprintf("I%d", i%5)
		}
		// Times out of ID order, and ties in time.
		rows = append(rows, fmt.Sprintf("('%016x-%d','2026-11-%02dT09:%02d:00.000Z','clerk%d','desk','GET /x','/x/%d','%s','%s','200')",
			i%4+1, i, 1+(i*7)%28, i%60, i%3, i, patron, item))
	}
	old := append(append(branch.Migrations(), migs[0]), replicate.Migration{Component: "oldrows", Version: 1,
		SQL: `INSERT INTO audit (audit_id, at, actor, channel, action, resource, patron_id, item_id, outcome) VALUES ` + strings.Join(rows, ",")})
	db, err := replicate.OpenDB(ctx, filepath.Join(dir, "stacks.db"), old)
	mustNoErr(t, err)
	before, err := replicate.StateHash(ctx, db.Read(), []string{"audit"})
	mustNoErr(t, err)
	var ddl string
	mustNoErr(t, db.Read().QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name='audit'`).Scan(&ddl))
	if strings.Contains(ddl, "WITHOUT ROWID") {
		t.Fatal("the old layout is already time-ordered: the test makes nothing to convert")
	}
	mustNoErr(t, db.Close())

	e := branchtest.Open(t, branchtest.Options{Dir: dir, Clock: replicatetest.NewClock(branchtest.Monday)})
	after, err := replicate.StateHash(ctx, e.DB.Read(), []string{"audit"})
	mustNoErr(t, err)
	if after != before {
		t.Errorf("the audit table's hash changed in the migration: %s -> %s", before, after)
	}
	mustNoErr(t, e.DB.Read().QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name='audit'`).Scan(&ddl))
	if !strings.Contains(ddl, "WITHOUT ROWID") || !strings.Contains(ddl, "PRIMARY KEY (at, audit_id)") {
		t.Errorf("audit after the migration: %s", ddl)
	}
	log := audit.NewService(e.Service)
	all, err := log.List(ctx, audit.Filter{})
	mustNoErr(t, err)
	if len(all) != 500 {
		t.Fatalf("%d entries after the migration, want 500", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].At < all[i].At || all[i-1].At == all[i].At && all[i-1].AuditID < all[i].AuditID {
			t.Fatalf("entries %d and %d out of order: %+v %+v", i-1, i, all[i-1], all[i])
		}
	}
	p3, err := log.List(ctx, audit.Filter{PatronID: "P3"})
	mustNoErr(t, err)
	want := 0
	for i := 0; i < 500; i += 3 {
		if i%7 == 3 {
			want++
		}
	}
	if len(p3) != want {
		t.Errorf("%d entries of patron P3, want %d", len(p3), want)
	}
	// The same record again (an op arriving twice) is kept once.
	mustNoErr(t, e.Log.Update(replicate.Direct(ctx), func(tx *replicate.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit (audit_id, at, actor, channel, action, resource, patron_id, item_id, outcome)
			VALUES ('0000000000000001-0','2026-11-01T09:00:00.000Z','clerk0','desk','GET /x','/x/0','P0','I0','200') ON CONFLICT DO NOTHING`)
		return err
	}))
	var n int
	mustNoErr(t, e.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit`).Scan(&n))
	if n != 500 {
		t.Errorf("%d rows after a record arrived again, want 500", n)
	}
}

// TestAuditQueriesUseTheirIndexes: each query of the audit log reads an
// index or the table's own time order, never the whole table nor a sort
// of it: the listing (newest first, by actor, by patron, by time), the
// export, and the anonymisation's look-ups.
func TestAuditQueriesUseTheirIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := replicate.OpenDB(ctx, filepath.Join(t.TempDir(), "a.db"), append(branch.Migrations(), audit.Capability().Migrations...))
	mustNoErr(t, err)
	defer db.Close()
	plan := func(q string, args ...any) string {
		rows, err := db.Read().QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		mustNoErr(t, err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			mustNoErr(t, rows.Scan(&id, &parent, &unused, &detail))
			out = append(out, detail)
		}
		return strings.Join(out, "\n")
	}
	const list = `SELECT audit_id FROM audit %s ORDER BY at DESC, audit_id DESC LIMIT 50 OFFSET 0`
	for _, c := range []struct{ q, want string }{
		{fmt.Sprintf(list, ""), "SCAN audit"},
		{fmt.Sprintf(list, "WHERE actor=?"), "audit_actor (actor=?)"},
		{fmt.Sprintf(list, "WHERE patron_id=? AND patron_id<>''"), "audit_patron (patron_id=?)"},
		{fmt.Sprintf(list, "WHERE at>=? AND at<?"), "PRIMARY KEY (at>? AND at<?)"},
		{`SELECT audit_id FROM audit WHERE (patron_id=?1 AND patron_id<>'') OR actor='patron:'||?1 ORDER BY at, audit_id`, "audit_patron (patron_id=?)"},
		{`SELECT audit_id FROM audit WHERE patron_id=? AND patron_id<>'' AND item_id=? ORDER BY audit_id`, "audit_patron (patron_id=?)"},
		{`UPDATE audit SET item_id='', resource=action WHERE audit_id=?1 AND item_id<>''`, "audit_item_rows (audit_id=?)"},
	} {
		p := plan(c.q, "x", "y")
		if !strings.Contains(p, c.want) {
			t.Errorf("%s\nplan:\n%s\nwant %q", c.q, p, c.want)
		}
		if strings.HasPrefix(c.q, "SELECT audit_id FROM audit WHERE (") {
			if !strings.Contains(p, "audit_actor (actor=?)") {
				t.Errorf("the export does not find the patron's own actions by the actor index:\n%s", p)
			}
			continue
		}
		if strings.Contains(c.q, "DESC") && strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s sorts the rows it reads:\n%s", c.q, p)
		}
	}
}
