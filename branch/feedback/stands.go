package feedback

import (
	"context"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
)

// What "still stands" means for the core's kinds. Each is checked when
// the invitation is made, when the patron's pending invitations are listed
// and when an answer names the invitation.
//
//   - renewal (Ref: the loan): the loan is the patron's, still out (not
//     returned, not lost) and renewed at least once: a loan returned since
//     leaves nothing to ask about.
//   - hold_pickup (Ref: the loan the pickup made): that loan is the
//     patron's and still out: a checkout undone at once (returned, or lost)
//     is not asked about.
//   - kiosk_session (Ref unused): within KioskWindow before now the
//     patron borrowed at this branch a copy still out, renewed here a loan
//     still out, or returned a copy here: a session that did nothing, or
//     whose checkouts were all undone, is not asked about.

// KioskWindow is how far back a kiosk session's transactions are looked for.
const KioskWindow = 12 * time.Hour

func exists(ctx context.Context, q replicate.Querier, query string, args ...any) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT EXISTS (`+query+`)`, args...).Scan(&n)
	return n == 1, err
}

func renewalStands(ctx context.Context, q replicate.Querier, inv domain.FeedbackInvitation, _ time.Time) (bool, error) {
	return exists(ctx, q, `SELECT 1 FROM loans WHERE loan_id=? AND patron_id=? AND issued=1 AND return_stamp='' AND lost=0
		AND renewals>0`, inv.Ref, inv.PatronID)
}

func pickupStands(ctx context.Context, q replicate.Querier, inv domain.FeedbackInvitation, _ time.Time) (bool, error) {
	return exists(ctx, q, `SELECT 1 FROM loans WHERE loan_id=? AND patron_id=? AND issued=1 AND return_stamp='' AND lost=0`,
		inv.Ref, inv.PatronID)
}

func kioskSessionStands(ctx context.Context, q replicate.Querier, inv domain.FeedbackInvitation, _ time.Time) (bool, error) {
	// The window runs back from the invitation, so that the session's
	// answer is judged on that session's transactions.
	at, err := time.Parse(domain.TimeLayout, inv.InvitedAt)
	if err != nil {
		return false, nil
	}
	since := at.Add(-KioskWindow).Format(domain.TimeLayout)
	return exists(ctx, q, `SELECT 1 FROM loans WHERE patron_id=?1 AND issued=1 AND lost=0 AND (
			(branch_id=?2 AND issued_at>=?3 AND return_stamp='')
			OR (return_branch=?2 AND returned_at>=?3)
			OR (return_stamp='' AND EXISTS (SELECT 1 FROM loan_renewals r WHERE r.loan_id=loans.loan_id AND r.branch_id=?2
				AND r.renewed_at>=?3)))`, inv.PatronID, inv.LibraryID, since)
}
