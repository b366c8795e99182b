package node

import (
	"context"

	"stacks/branch/domain"
	"stacks/branch/insight"
	"stacks/branch/privacy"
)

// The privacy sweeper. Every branch node (and a standalone appliance)
// anonymises, at the hold sweep's interval, the loans returned at its own
// branch whose retention has run out: the branch that took the item back
// surely holds the loan's end, and one node issues each anonymisation (two
// would be harmless: the op is idempotent). Central sweeps nothing: it
// holds every branch's loans but no branch's timing. Every node also
// checkpoints its WAL to nothing once it learns of a new erasure, so no
// older page image of the erased patron's data stays in the WAL file, and
// prunes insight's channel sets of the periods that are final.
func (n *Node) privacyLoop(ctx context.Context) {
	svc := privacy.New(n.svc)
	t, tick := n.cfg.Clock.NewTicker(n.cfg.HoldSweep)
	defer t.Stop()
	actor := domain.WithActor(ctx, domain.Actor{ID: "privacy-sweeper", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
	erasures := -1
	for {
		if !n.isCentral() {
			if c, err := svc.Sweep(actor, n.cfg.Branch); err != nil && ctx.Err() == nil {
				n.lg.Warn("privacy sweep failed", "err", err)
			} else if c > 0 {
				n.lg.Info("anonymised loan history", "loans", c)
			}
		}
		if c, err := svc.ErasureCount(ctx); err == nil && c != erasures {
			if erasures < 0 {
				erasures = c
			} else if err := n.db.CheckpointTruncate(ctx); err != nil {
				if ctx.Err() == nil {
					n.lg.Warn("checkpoint after erasure failed; retried at the next sweep", "err", err)
				}
			} else {
				erasures = c
			}
		}
		n.spoolPrivacy(ctx) // print spool retention and erasure (node/printprivacy.go)
		// insight's channel sets per patron, once their period is final.
		if c, err := insight.PruneActive(ctx, n.svc, n.cfg.Location, n.cfg.Clock.Now()); err != nil && ctx.Err() == nil {
			n.lg.Warn("pruning insight's channel sets failed; retried at the next sweep", "err", err)
		} else if c > 0 {
			n.lg.Info("pruned insight's channel sets", "rows", c)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}
