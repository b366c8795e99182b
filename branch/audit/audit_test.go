package audit_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/audit"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

func mustNoErr(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func hash(tb testing.TB, svc *branch.Service) string {
	tb.Helper()
	h, err := svc.StateHash(context.Background())
	mustNoErr(tb, err)
	return h
}

func TestAuditLog(t *testing.T) {
	e := branchtest.Open(t, branchtest.Options{})
	log := audit.NewService(e.Service)
	clerk := domain.WithActor(context.Background(), domain.Actor{ID: "clerk", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	kiosk := domain.WithActor(context.Background(), domain.Actor{ID: "demo-kiosk", Role: domain.RoleKiosk, Channel: domain.ChannelKiosk})
	mustNoErr(t, log.Record(clerk, audit.Record{Action: "GET /api/v1/patrons/{id}", Resource: "/api/v1/patrons/P1",
		PatronID: "P1", Outcome: "200"}))
	e.Clock.Advance(time.Hour)
	mustNoErr(t, log.Record(kiosk, audit.Record{Action: "POST /api/v1/checkouts", Resource: "/api/v1/checkouts", PatronID: "P1", ItemID: "I1"},
		audit.Record{Action: "GET /api/v1/patrons/{id}/account", Resource: "/api/v1/patrons/X", PatronID: "X"}))
	if err := log.Record(clerk, audit.Record{}); domain.ErrorCode(err) != "invalid" {
		t.Errorf("a record without an action: %v", err)
	}

	all, err := log.List(context.Background(), audit.Filter{})
	mustNoErr(t, err)
	if len(all) != 3 || all[2].Actor != "clerk" || all[2].Channel != "desk" || all[0].Channel != "kiosk" || all[2].At != "2026-11-23T10:00:00.000Z" {
		t.Fatalf("entries: %+v", all)
	}
	for _, tc := range []struct {
		name string
		f    audit.Filter
		want int
	}{
		{"Actor", audit.Filter{Actor: "demo-kiosk"}, 2},
		{"Patron", audit.Filter{PatronID: "P1"}, 2},
		{"From", audit.Filter{From: branchtest.Monday.Add(30 * time.Minute)}, 2},
		{"To", audit.Filter{To: branchtest.Monday.Add(30 * time.Minute)}, 1},
		{"Page", audit.Filter{Limit: 2, Offset: 2}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := log.List(context.Background(), tc.f)
			mustNoErr(t, err)
			if len(got) != tc.want {
				t.Errorf("%d entries, want %d: %+v", len(got), tc.want, got)
			}
		})
	}

	// The records replicate: any order, duplicates included, gives the
	// same table, and the table is in the state hash.
	ops, err := e.Log.AllOps(context.Background())
	mustNoErr(t, err)
	want := hash(t, e.Service)
	rev := slices.Clone(ops)
	slices.Reverse(rev)
	rev = append(rev, ops[len(ops)-2:]...)
	fresh := branchtest.Open(t, branchtest.Options{Node: 9})
	empty := hash(t, fresh.Service)
	_, err = fresh.Log.Integrate(context.Background(), rev)
	mustNoErr(t, err)
	if got := hash(t, fresh.Service); got != want || got == empty {
		t.Errorf("replayed in reverse: hash %s, want %s (empty %s)", got, want, empty)
	}
	a, err := branch.NewApplier(audit.Capability())
	mustNoErr(t, err)
	if !a.KnownKind(audit.KindRecord) {
		t.Error("sync validation would refuse audit records")
	}
	if (branch.Applier{}).KnownKind(audit.KindRecord) {
		t.Error("an applier without the capability claims its kind")
	}
}

// TestHashOrder: the audit table is hashed where it was when it was the
// core's, between pin_attempts and registry_nodes, so that the state hash
// of every existing database is what it was.
func TestHashOrder(t *testing.T) {
	got := branch.StateTables(audit.Capability())
	want := []string{"libraries", "categories", "item_types", "patrons", "biblios", "items", "loans",
		"loan_renewals", "holds", "fees", "rules", "opening_hours", "closed_days", "staff", "overrides", "hold_traps",
		"conflicts", "conflict_resolutions", "pin_attempts", "audit", "registry_nodes"}
	if !slices.Equal(got, want) {
		t.Errorf("state tables %v, want %v", got, want)
	}
}

// TestUpgradeFromCoreAudit: a database migrated by the code before audit
// was a capability (its table made by branch's migration 004, rows in it)
// opens with the capability's migrations without error and keeps its rows.
func TestUpgradeFromCoreAudit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// The old schema: branch's migrations as they were, 004 included.
	var old []replicate.Migration
	for _, m := range branch.Migrations() {
		old = append(old, m)
		if m.Version == 3 {
			old = append(old, replicate.Migration{Component: "branch", Version: 4, SQL: oldAudit004})
		}
	}
	// A row the old code wrote.
	old = append(old, replicate.Migration{Component: "oldrows", Version: 1, SQL: `INSERT INTO audit (audit_id, at, actor, channel,
		action, resource, patron_id, item_id, outcome) VALUES ('0000000000000001-1','2026-11-20T09:00:00.000Z','clerk','desk',
		'GET /api/v1/patrons/{id}','/api/v1/patrons/P1','P1','','200')`})
	db, err := replicate.OpenDB(ctx, filepath.Join(dir, "stacks.db"), old)
	mustNoErr(t, err)
	mustNoErr(t, db.Close())

	e := branchtest.Open(t, branchtest.Options{Dir: dir, Clock: replicatetest.NewClock(branchtest.Monday)})
	log := audit.NewService(e.Service)
	mustNoErr(t, log.Record(branchtest.Admin(ctx), audit.Record{Action: "GET /api/v1/audit", Resource: "/api/v1/audit"}))
	all, err := log.List(ctx, audit.Filter{})
	mustNoErr(t, err)
	if len(all) != 2 || all[1].AuditID != "0000000000000001-1" || all[1].PatronID != "P1" || all[0].Action != "GET /api/v1/audit" {
		t.Fatalf("entries after the upgrade: %+v", all)
	}
	var n int
	mustNoErr(t, e.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE component='audit' AND version=1`).Scan(&n))
	if n != 1 {
		t.Fatalf("audit migration 1 recorded %d times", n)
	}
}

// oldAudit004 is branch's migration 004 as it was.
const oldAudit004 = `CREATE TABLE audit (
	audit_id  TEXT PRIMARY KEY,
	at        TEXT NOT NULL,
	actor     TEXT NOT NULL,
	channel   TEXT NOT NULL,
	action    TEXT NOT NULL,
	resource  TEXT NOT NULL,
	patron_id TEXT NOT NULL,
	item_id   TEXT NOT NULL,
	outcome   TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at, audit_id);
CREATE INDEX audit_actor ON audit (actor, at);
CREATE INDEX audit_patron ON audit (patron_id, at);`
