package branch_test

import (
	"context"
	"testing"

	"stacks/branch"
)

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
