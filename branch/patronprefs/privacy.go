package patronprefs

import (
	"context"

	"stacks/branch"
	"stacks/replicate"
)

// export is the patron's preferences as stored, field by field.
func export(ctx context.Context, q replicate.Querier, patronID string) (any, error) {
	return branch.QueryMaps(ctx, q, `SELECT field, value FROM patron_prefs WHERE patron_id=? ORDER BY field`, patronID)
}

// erase forgets the patron's choices: an erased patron has no reading
// history to keep and no one to send notices to.
func erase(ctx context.Context, tx *replicate.Tx, patronID string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM patron_prefs WHERE patron_id=?`, patronID)
	return err
}
