package digital

import (
	"context"

	"stacks/branch"
	"stacks/replicate"
)

// export is the patron's digital loans (current and past), their renewals
// and their digital holds. Erasure leaves them keyed by the pseudonym (the
// licence counts depend on them) and names no personal data to blank.
func export(ctx context.Context, q replicate.Querier, patronID string) (any, error) {
	loans, err := branch.QueryMaps(ctx, q, `SELECT loan_id, biblio_id, licence_id, granted_at, due_date, hold_id, returned_at,
		return_reason FROM digital_loans WHERE patron_id=? ORDER BY granted_at, loan_id`, patronID)
	if err != nil {
		return nil, err
	}
	holds, err := branch.QueryMaps(ctx, q, `SELECT hold_id, biblio_id, placed_at, status_rank, loan_id, closed_at FROM digital_holds
		WHERE patron_id=? ORDER BY placed_at, hold_id`, patronID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"loans": loans, "holds": holds}, nil
}
