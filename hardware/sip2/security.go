package sip2

import (
	"context"

	"stacks/branch/domain"
)

// What the ACS tells an RFID kiosk about an item's security (the
// desensitize flag of 12 and the resensitize flag of 10) follows the
// item's loans as this node knows them after the transaction, merged
// replicas included, not the transaction alone: a tag is unsecured while
// the item is on loan and secured while it is not.

// desensitize says whether the kiosk should unsecure the item patronID
// has just checked out: yes when the item's open loan is theirs.
func (ss *session) desensitize(ctx context.Context, itemID, patronID string) bool {
	l, err := ss.lib.itemLoans.OpenLoan(ctx, itemID)
	return err == nil && l != nil && l.PatronID == patronID
}

// resensitize says whether the kiosk should secure an item it has just
// checked in: yes when no loan of it is open any more. A loan still open
// after a checkin is one made concurrently on another node (two
// checkouts of one copy that met in a merge, recorded as a conflict):
// the item stays unsecured and the patron is sent to the desk.
func (ss *session) resensitize(ctx context.Context, itemID string) (secure bool, stillOnLoan bool) {
	l, err := ss.lib.itemLoans.OpenLoan(ctx, itemID)
	if err != nil {
		return false, false
	}
	return l == nil, l != nil
}

// SortBinner picks the sorting bin (CL) of a checked-in item, for
// automated returns (hardware/sortbin implements it from rules).
type SortBinner interface {
	SortBin(ctx context.Context, branch string, res *domain.CheckinResult) string
}

// sortBin is the bin for res: the SortBinner's when configured, else the
// bin of Config.SortBins for the checkin's action.
func (ss *session) sortBin(ctx context.Context, res *domain.CheckinResult) string {
	if ss.srv.cfg.Sorter != nil {
		return ss.srv.cfg.Sorter.SortBin(ctx, ss.lib.site.Branch(), res)
	}
	return ss.srv.cfg.SortBins[res.Action]
}
