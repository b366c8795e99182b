package audit

import (
	"context"

	"stacks/branch"
	"stacks/replicate"
)

// export is the audit log's part of a patron's data export: every record
// of who at the library read or changed something about the patron, and
// what the patron did themselves.
func export(ctx context.Context, q replicate.Querier, patronID string) (any, error) {
	return branch.QueryMaps(ctx, q, `SELECT audit_id, at, actor, channel, action, resource, item_id, outcome FROM audit
		WHERE (patron_id=?1 AND patron_id<>'') OR actor='patron:'||?1 ORDER BY at, audit_id`, patronID)
}

// erase keeps the audit trail (who looked at or changed the record stays
// known) but pseudonymised: a patron acting under their card number is
// named by their patron ID instead, and the patron's identifying values
// quoted in a record's resource or outcome are blanked. It runs before
// the patron record is blanked (branch/privacy), so their values are
// still there to be found.
func erase(ctx context.Context, tx *replicate.Tx, patronID string) error {
	vals, err := branch.PersonalValues(ctx, tx, patronID)
	if err != nil {
		return err
	}
	for _, v := range vals {
		if _, err := tx.ExecContext(ctx, `UPDATE audit SET actor=CASE WHEN actor='patron:'||?1 THEN 'patron:'||?2 ELSE replace(actor, ?1, '') END,
			resource=replace(resource, ?1, ''), outcome=replace(outcome, ?1, '')
			WHERE instr(actor, ?1) OR instr(resource, ?1) OR instr(outcome, ?1)`, v, patronID); err != nil {
			return err
		}
	}
	return nil
}
