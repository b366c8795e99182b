package handoff

import (
	"context"

	"stacks/branch"
	"stacks/replicate"
)

// export is the patron's handoff codes (their hashes: the codes themselves
// are never stored), what each was for and when it was used.
func export(ctx context.Context, q replicate.Querier, patronID string) (any, error) {
	return branch.QueryMaps(ctx, q, `SELECT code_hash, intent, issued_at, expires_at, used_at, used_channel FROM handoff_codes
		WHERE patron_id=? ORDER BY issued_at, code_hash`, patronID)
}

// erase deletes the patron's handoff codes: a code carries a session, and
// an erased patron has none.
func erase(ctx context.Context, tx *replicate.Tx, patronID string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM handoff_codes WHERE patron_id=?`, patronID)
	return err
}
