package domain

import "slices"

// Permission names one thing a role may do. Routes of the API and actions
// of the staff desk each require one; roles grant them.
type Permission string

// Permissions. Reading the catalogue, libraries and the calendar needs none.
const (
	// PermClusterState is reading a node's replication state and peers.
	PermClusterState Permission = "cluster.state"
	// PermClusterStatus is reading cluster health (central status pages).
	PermClusterStatus Permission = "cluster.status"
	// PermClusterAdmin is changing the central cluster (members, Raft).
	PermClusterAdmin Permission = "cluster.admin"

	PermPatronsRead  Permission = "patrons.read"  // look patrons up, their status, loans and holds
	PermPatronsWrite Permission = "patrons.write" // register patrons, edit them, renew cards
	PermPatronsBlock Permission = "patrons.block" // block, unblock, expire a card
	PermPINReset     Permission = "patrons.pin_reset"
	// PermPatronsExport is exporting all a patron's data (GDPR 15, 20);
	// PermPatronsErase is erasing a patron (GDPR 17).
	PermPatronsExport Permission = "patrons.export"
	PermPatronsErase  Permission = "patrons.erase"

	PermCirculation Permission = "circulation" // check out, check in, renew
	PermOverride    Permission = "circulation.override"
	PermHoldsRead   Permission = "holds.read"  // hold queues and the shelf, with patrons' names
	PermHoldsWrite  Permission = "holds.write" // place and cancel holds, clear the shelf

	PermFeesRead   Permission = "fees.read"
	PermFeesPay    Permission = "fees.pay"
	PermFeesCharge Permission = "fees.charge"
	PermFeesWaive  Permission = "fees.waive"

	PermCatalogueWrite Permission = "catalogue.write" // add and edit titles and copies
	PermItemsLost      Permission = "items.lost"
	// PermItemProperties is setting a copy's properties (parts, security
	// case), as a kiosk does with SIP2 19; the rest of the copy needs
	// PermCatalogueWrite.
	PermItemProperties Permission = "items.properties"

	PermConflictsRead    Permission = "conflicts.read"
	PermConflictsResolve Permission = "conflicts.resolve"

	PermRulesRead Permission = "rules.read"
	// PermPolicyWrite is the circulation policy: rules matrix, calendars,
	// patron categories and item types.
	PermPolicyWrite Permission = "policy.write"
	// PermRegistryWrite is the branch registry (libraries).
	PermRegistryWrite Permission = "registry.write"

	PermNoticesRead Permission = "notices.read" // a patron's notices and flagged contacts, the print list
	PermNoticesSend Permission = "notices.send" // resend a notice

	// Events (branch/events): create, edit and cancel events; see
	// registrations, register patrons and check tickets in.
	PermEventsWrite Permission = "events.write"
	PermEventsDesk  Permission = "events.desk"

	PermStaffRead  Permission = "staff.read"
	PermStaffWrite Permission = "staff.write"
	PermAuditRead  Permission = "audit.read"

	// PermHelp is the help queue: list, claim, answer, take over, close
	// patrons' help requests (branch/help).
	PermHelp Permission = "help"

	// PermReportsRead is the insights (branch/insight): counts of
	// circulation, holds, registrations and service by branch, channel
	// and day. They name no patron.
	PermReportsRead Permission = "reports.read"
)

var (
	deskPerms = []Permission{PermClusterState, PermPatronsRead, PermPatronsWrite, PermCirculation, PermHoldsRead,
		PermHoldsWrite, PermFeesRead, PermFeesPay, PermFeesCharge, PermConflictsRead, PermRulesRead, PermItemProperties,
		PermNoticesRead, PermNoticesSend, PermHelp, PermEventsDesk}
	supervisorPerms = append(slices.Clone(deskPerms), PermClusterStatus, PermOverride, PermFeesWaive, PermPatronsBlock,
		PermPINReset, PermItemsLost, PermConflictsResolve, PermCatalogueWrite, PermEventsWrite, PermPatronsExport, PermPatronsErase, PermReportsRead)
	rolePerms = map[string][]Permission{
		RoleCirculation: deskPerms,
		RoleSupervisor:  supervisorPerms,
		RoleAdmin: append(slices.Clone(supervisorPerms), PermClusterAdmin, PermPolicyWrite, PermRegistryWrite,
			PermStaffRead, PermStaffWrite, PermAuditRead),
		// Central IT runs the cluster, the registry and the policy, and reads
		// the audit log; it sees no patron's personal data.
		RoleCentralIT: {PermClusterState, PermClusterStatus, PermClusterAdmin, PermRulesRead, PermPolicyWrite,
			PermRegistryWrite, PermAuditRead, PermReportsRead},
		// A self-check kiosk identifies patrons, lends, takes returns and
		// payments, places holds for the patron at the screen, and records
		// an item's properties (SIP2 19).
		RoleKiosk: {PermClusterState, PermPatronsRead, PermCirculation, PermFeesRead, PermFeesPay, PermHoldsWrite,
			PermItemProperties, PermEventsDesk},
	}
)

// Can reports whether role grants perm. Patrons hold no permission: they
// act on their own account only, which the API checks route by route.
func Can(role string, perm Permission) bool {
	return slices.Contains(rolePerms[role], perm)
}

// Permissions lists what role may do, sorted.
func Permissions(role string) []Permission {
	ps := slices.Clone(rolePerms[role])
	slices.Sort(ps)
	return ps
}

// IsStaffRole reports whether role is a staff (or kiosk) account's role.
func IsStaffRole(role string) bool { return roles[role] }
