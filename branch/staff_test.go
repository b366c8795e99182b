package branch_test

import (
	"context"
	"testing"

	"stacks/branch/domain"
)

func TestStaffDeactivation(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.SetStaff(e.ctx, domain.NewStaff{Username: "temp", Role: domain.RoleCirculation, Password: "temp1"})
	mustNoErr(t, err)
	if _, err := e.svc.Authenticate(context.Background(), "temp", "temp1"); err != nil {
		t.Fatal(err)
	}
	st, err := e.svc.SetStaffActive(e.ctx, "temp", false)
	mustNoErr(t, err)
	if st.Active {
		t.Fatal("still active")
	}
	if _, err := e.svc.Authenticate(context.Background(), "temp", "temp1"); domain.ErrorCode(err) != "bad_credentials" {
		t.Fatalf("a deactivated account logged in: %v", err)
	}
	if got, err := e.svc.StaffAccount(context.Background(), "temp"); err != nil || got.Active || got.Role != domain.RoleCirculation {
		t.Fatalf("account: %+v %v", got, err)
	}
	if _, err := e.svc.StaffAccount(context.Background(), "nobody"); domain.ErrorCode(err) != "not_found" {
		t.Fatalf("unknown account: %v", err)
	}
}

func TestRolePermissions(t *testing.T) {
	for _, tc := range []struct {
		role string
		perm domain.Permission
		want bool
	}{
		{domain.RoleCirculation, domain.PermCirculation, true},
		{domain.RoleCirculation, domain.PermFeesWaive, false},
		{domain.RoleCirculation, domain.PermOverride, false},
		{domain.RoleSupervisor, domain.PermOverride, true},
		{domain.RoleSupervisor, domain.PermStaffWrite, false},
		{domain.RoleAdmin, domain.PermStaffWrite, true},
		{domain.RoleCentralIT, domain.PermPatronsRead, false},
		{domain.RoleCentralIT, domain.PermClusterAdmin, true},
		{domain.RoleKiosk, domain.PermCirculation, true},
		{domain.RoleKiosk, domain.PermFeesWaive, false},
		{domain.RolePatron, domain.PermPatronsRead, false},
	} {
		if got := domain.Can(tc.role, tc.perm); got != tc.want {
			t.Errorf("Can(%s, %s) = %v", tc.role, tc.perm, got)
		}
	}
	// The domain's override check and the permission agree.
	for _, role := range []string{domain.RoleCirculation, domain.RoleSupervisor, domain.RoleAdmin, domain.RoleCentralIT, domain.RoleKiosk} {
		if domain.Can(role, domain.PermOverride) != (domain.Actor{Role: role}).CanOverride() {
			t.Errorf("%s: permission and CanOverride disagree", role)
		}
	}
}
