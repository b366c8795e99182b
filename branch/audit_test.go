package branch_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"stacks/branch"
	"stacks/replicate/replicatetest"
)

func TestAuditLog(t *testing.T) {
	e := newEnv(t)
	p := e.patron("A1", "ADULT")
	kiosk := branch.WithActor(context.Background(), branch.Actor{ID: "demo-kiosk", Role: branch.RoleKiosk, Channel: branch.ChannelKiosk})
	mustNoErr(t, e.svc.RecordAudit(e.clerk, branch.AuditRecord{Action: "GET /api/v1/patrons/{id}", Resource: "/api/v1/patrons/" + p.PatronID,
		PatronID: p.PatronID, Outcome: "200"}))
	e.clock.Advance(time.Hour)
	mustNoErr(t, e.svc.RecordAudit(kiosk, branch.AuditRecord{Action: "POST /api/v1/checkouts", Resource: "/api/v1/checkouts", PatronID: p.PatronID, ItemID: "I1"},
		branch.AuditRecord{Action: "GET /api/v1/patrons/{id}/account", Resource: "/api/v1/patrons/X", PatronID: "X"}))
	if err := e.svc.RecordAudit(e.clerk, branch.AuditRecord{}); branch.ErrorCode(err) != "invalid" {
		t.Errorf("a record without an action: %v", err)
	}

	all, err := e.svc.Audit(context.Background(), branch.AuditFilter{})
	mustNoErr(t, err)
	if len(all) != 3 || all[2].Actor != "clerk" || all[2].Channel != "desk" || all[0].Channel != "kiosk" {
		t.Fatalf("entries: %+v", all)
	}
	for _, tc := range []struct {
		name string
		f    branch.AuditFilter
		want int
	}{
		{"Actor", branch.AuditFilter{Actor: "demo-kiosk"}, 2},
		{"Patron", branch.AuditFilter{PatronID: p.PatronID}, 2},
		{"From", branch.AuditFilter{From: monday.Add(30 * time.Minute)}, 2},
		{"To", branch.AuditFilter{To: monday.Add(30 * time.Minute)}, 1},
		{"Page", branch.AuditFilter{Limit: 2, Offset: 2}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.svc.Audit(context.Background(), tc.f)
			mustNoErr(t, err)
			if len(got) != tc.want {
				t.Errorf("%d entries, want %d: %+v", len(got), tc.want, got)
			}
		})
	}

	// The records replicate: any order, duplicates included, gives the
	// same table.
	ops, err := e.log.AllOps(context.Background())
	mustNoErr(t, err)
	want := e.hash()
	rev := slices.Clone(ops)
	slices.Reverse(rev)
	rev = append(rev, ops[len(ops)-2:]...)
	fresh := openEnv(t, t.TempDir(), 9, "MAIN", replicatetest.NewClock(monday))
	_, err = fresh.log.Integrate(context.Background(), rev)
	mustNoErr(t, err)
	if got := fresh.hash(); got != want {
		t.Errorf("replayed in reverse: hash %s, want %s", got, want)
	}
	if !branch.KnownKind(branch.KindAuditRecord) {
		t.Error("sync validation would refuse audit records")
	}
}

func TestStaffDeactivation(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.SetStaff(e.ctx, branch.NewStaff{Username: "temp", Role: branch.RoleCirculation, Password: "temp1"})
	mustNoErr(t, err)
	if _, err := e.svc.Authenticate(context.Background(), "temp", "temp1"); err != nil {
		t.Fatal(err)
	}
	st, err := e.svc.SetStaffActive(e.ctx, "temp", false)
	mustNoErr(t, err)
	if st.Active {
		t.Fatal("still active")
	}
	if _, err := e.svc.Authenticate(context.Background(), "temp", "temp1"); branch.ErrorCode(err) != "bad_credentials" {
		t.Fatalf("a deactivated account logged in: %v", err)
	}
	if got, err := e.svc.StaffAccount(context.Background(), "temp"); err != nil || got.Active || got.Role != branch.RoleCirculation {
		t.Fatalf("account: %+v %v", got, err)
	}
	if _, err := e.svc.StaffAccount(context.Background(), "nobody"); branch.ErrorCode(err) != "not_found" {
		t.Fatalf("unknown account: %v", err)
	}
}

func TestRolePermissions(t *testing.T) {
	for _, tc := range []struct {
		role string
		perm branch.Permission
		want bool
	}{
		{branch.RoleCirculation, branch.PermCirculation, true},
		{branch.RoleCirculation, branch.PermFeesWaive, false},
		{branch.RoleCirculation, branch.PermOverride, false},
		{branch.RoleSupervisor, branch.PermOverride, true},
		{branch.RoleSupervisor, branch.PermStaffWrite, false},
		{branch.RoleAdmin, branch.PermStaffWrite, true},
		{branch.RoleCentralIT, branch.PermPatronsRead, false},
		{branch.RoleCentralIT, branch.PermClusterAdmin, true},
		{branch.RoleKiosk, branch.PermCirculation, true},
		{branch.RoleKiosk, branch.PermFeesWaive, false},
		{branch.RolePatron, branch.PermPatronsRead, false},
	} {
		if got := branch.Can(tc.role, tc.perm); got != tc.want {
			t.Errorf("Can(%s, %s) = %v", tc.role, tc.perm, got)
		}
	}
	// The domain's override check and the permission agree.
	for _, role := range []string{branch.RoleCirculation, branch.RoleSupervisor, branch.RoleAdmin, branch.RoleCentralIT, branch.RoleKiosk} {
		if branch.Can(role, branch.PermOverride) != (branch.Actor{Role: role}).CanOverride() {
			t.Errorf("%s: permission and CanOverride disagree", role)
		}
	}
}
