package websession

import (
	"context"

	"stacks/branch"
	"stacks/replicate"
)

// export is the patron's web session cutoff: sessions signed before it
// (but the one kept) were ended. Sessions themselves are signed tokens the
// patron holds; no node stores them. Erasure keeps the cutoff (it revokes
// sessions), which names no personal data.
func export(ctx context.Context, q replicate.Querier, patronID string) (any, error) {
	return branch.QueryMaps(ctx, q, `SELECT before_ms, keep FROM web_session_cutoffs WHERE patron_id=?`, patronID)
}
