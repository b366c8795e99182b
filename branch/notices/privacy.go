package notices

import (
	"context"

	"stacks/branch"
	"stacks/replicate"
)

// personalKeys are the notice ops' fields that can hold an address or a
// provider's text quoting it.
var personalKeys = []string{"address", "to", "detail"}

// export is every notice claimed for the patron (kind, what about,
// channel, when and how it went) and their flagged contacts.
func export(ctx context.Context, q replicate.Querier, patronID string) (any, error) {
	ns, err := branch.QueryMaps(ctx, q, `SELECT notice_key, kind, subject, occurrence, channel, branch_id, digest, claimed_at,
		status, status_at, reason, attempts, opened_at, clicked_at, bounced_at, bounce_reason
		FROM notices WHERE patron_id=? ORDER BY claimed_at, notice_key`, patronID)
	if err != nil {
		return nil, err
	}
	flags, err := branch.QueryMaps(ctx, q, `SELECT channel, address, reason, flagged_at, cleared FROM notice_contact_flags
		WHERE patron_id=? ORDER BY channel`, patronID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"notices": ns, "contact_flags": flags}, nil
}

// erase blanks the patron's flagged addresses and any of their values a
// provider's reason quoted; the notices stay, keyed by the pseudonym, as
// the record of what the library sent.
func erase(ctx context.Context, tx *replicate.Tx, patronID string) error {
	vals, err := branch.PersonalValues(ctx, tx, patronID)
	if err != nil {
		return err
	}
	for _, v := range vals {
		if _, err := tx.ExecContext(ctx, `UPDATE notices SET reason=replace(reason, ?1, ''), bounce_reason=replace(bounce_reason, ?1, '')
			WHERE patron_id=?2 AND (instr(reason, ?1) OR instr(bounce_reason, ?1))`, v, patronID); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE notice_contact_flags SET address='', reason='' WHERE patron_id=? AND (address<>'' OR reason<>'')`, patronID)
	return err
}
