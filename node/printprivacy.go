package node

import (
	"context"
)

// spoolPrivacy keeps the print spool (its own file, DATA/printspool.db)
// from outliving its use: at each privacy sweep it deletes the jobs that
// finished more than a week ago and every job about an erased patron
// (printed, cancelled or still queued: an erased patron's name is not
// printed any more). Both are idempotent, so it runs with every erased
// patron each time; the spool checkpoints its WAL after deleting.
func (n *Node) spoolPrivacy(ctx context.Context) {
	if n.printing == nil {
		return
	}
	sp := n.printing.sp
	if c, err := sp.Prune(ctx); err != nil {
		if ctx.Err() == nil {
			n.lg.Warn("print spool prune failed", "err", err)
		}
	} else if c > 0 {
		n.lg.Info("print jobs past their retention deleted", "jobs", c)
	}
	rows, err := n.svc.Read().QueryContext(ctx, `SELECT patron_id FROM privacy_erasures ORDER BY patron_id`)
	if err != nil {
		if ctx.Err() == nil {
			n.lg.Warn("print spool erasure: erased patrons not read", "err", err)
		}
		return
	}
	var ids []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if c, err := sp.ErasePatrons(ctx, ids); err != nil {
		if ctx.Err() == nil {
			n.lg.Warn("print spool erasure failed; retried at the next sweep", "err", err)
		}
	} else if c > 0 {
		n.lg.Info("print jobs of erased patrons deleted", "jobs", c)
	}
}
