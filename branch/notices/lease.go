package notices

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
)

// Claim leases. A node claims a notice and then sends it; one that
// crashed for good (or is gone) between the two would hold it forever. So
// every send begins with a start, decided in the same place as the claim
// (central's Raft state machine, or the appliance's own transaction): it
// is granted only to the node that holds the claim now, and records the
// notice "sending" there. Once a claim is older than the lease and its
// send never started (status claimed, or retry), another node may take it
// over (a notices.takeover op names the new claimer); the old claimer's
// start is then refused, so it cannot send too. A notice whose send
// started and never finished is "unknown": never taken over, never sent
// again blind; only staff resend it. One whose sender fell silent for
// longer than the lease is recorded unknown by the next node that runs.

// DefaultClaimLease is how long a claim holds before another node may take
// over a notice never started.
const DefaultClaimLease = 30 * time.Minute

type startItem struct {
	Key     string `json:"key"`
	Attempt int    `json:"attempt"`
}

type takeoverOp struct {
	Key  string `json:"key"`
	Node string `json:"node"`
	From string `json:"from"`
	At   string `json:"at"`
}

// finished statuses: nothing more is sent.
func finished(status string) bool {
	return status == StatusSent || status == StatusFailed || status == StatusUnknown || status == StatusDropped
}

// decideStart grants the start of each notice the node holds and whose
// send has not begun, recording it "sending". A notice found "sending"
// already (the node lost the answer of its start, or crashed after it) is
// recorded "unknown" and refused.
func decideStart(ctx context.Context, q replicate.Querier, now time.Time, req claimRequest, emit func(ctx context.Context, kind string, p any) error) (*claimReply, error) {
	rep := &claimReply{Granted: []string{}}
	at := now.UTC().Format(domain.TimeLayout)
	for _, it := range req.Start {
		var by, status string
		err := q.QueryRowContext(ctx, `SELECT claimed_by, status FROM notices WHERE notice_key=? AND claim_stamp<>''`, it.Key).Scan(&by, &status)
		if errors.Is(err, sql.ErrNoRows) || by != req.Node || finished(status) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if status == StatusSending {
			if err := emit(ctx, KindStatus, statusOp{Key: it.Key, Status: StatusUnknown, At: at,
				Reason: "its send began and no outcome came back; not sent again unless staff resend it"}); err != nil {
				return nil, err
			}
			continue
		}
		if err := emit(ctx, KindStatus, statusOp{Key: it.Key, Status: StatusSending, Attempts: it.Attempt, At: at}); err != nil {
			return nil, err
		}
		rep.Granted = append(rep.Granted, it.Key)
	}
	return rep, nil
}

// decideTakeover passes to the node each notice (and a digest's parts)
// whose claim by another node is older than the lease, at the decider's
// time, and whose send never began.
func decideTakeover(ctx context.Context, q replicate.Querier, now time.Time, req claimRequest, emit func(ctx context.Context, kind string, p any) error) (*claimReply, error) {
	rep := &claimReply{Granted: []string{}}
	lease, err := time.ParseDuration(req.Lease)
	if err != nil || lease < time.Minute {
		return nil, fmt.Errorf("notices: a takeover names a lease of a minute or more, not %q", req.Lease)
	}
	at := now.UTC().Format(domain.TimeLayout)
	cutoff := now.UTC().Add(-lease).Format(domain.TimeLayout)
	for _, key := range req.Takeover {
		var by, claimedAt, status, statusAt, digest string
		err := q.QueryRowContext(ctx, `SELECT claimed_by, claimed_at, status, status_at, digest FROM notices WHERE notice_key=? AND claim_stamp<>''`, key).
			Scan(&by, &claimedAt, &status, &statusAt, &digest)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		last := max(claimedAt, statusAt)
		if by == req.Node || digest != "" || last > cutoff {
			continue
		}
		if status != StatusClaimed && status != StatusRetry && status != StatusSending {
			continue
		}
		keys := []string{key}
		parts, err := q.QueryContext(ctx, `SELECT notice_key FROM notices WHERE digest=? ORDER BY notice_key`, key)
		if err != nil {
			return nil, err
		}
		for parts.Next() {
			var k string
			if err := parts.Scan(&k); err != nil {
				parts.Close()
				return nil, err
			}
			keys = append(keys, k)
		}
		parts.Close()
		if status == StatusSending {
			// Its send began on a node silent since for longer than the
			// lease: the outcome is lost. Staff see it unknown (and
			// resend it if they choose), not "sending" for ever.
			for _, k := range keys {
				if err := emit(ctx, KindStatus, statusOp{Key: k, Status: StatusUnknown, At: at,
					Reason: fmt.Sprintf("node %s began sending it and fell silent; not sent again unless staff resend it", by)}); err != nil {
					return nil, err
				}
			}
			continue
		}
		for _, k := range keys {
			if err := emit(ctx, KindTakeover, takeoverOp{Key: k, Node: req.Node, From: by, At: at}); err != nil {
				return nil, err
			}
		}
		rep.Granted = append(rep.Granted, key)
	}
	return rep, nil
}

func (e *Engine) lease() time.Duration {
	if e.cfg.ClaimLease > 0 {
		return e.cfg.ClaimLease
	}
	return DefaultClaimLease
}

// start asks to begin sending r; false: the notice is no longer this
// node's to send (taken over, or found unknown).
func (e *Engine) start(ctx context.Context, r *record, attempt int) (bool, error) {
	if e.cfg.PlantDoubleSend {
		return true, e.setStatus(ctx, r.Key, StatusSending, "", attempt, "")
	}
	granted, err := e.claim(ctx, claimRequest{Start: []startItem{{Key: r.Key, Attempt: attempt}}})
	if err != nil {
		return false, err
	}
	return len(granted) == 1, nil
}

// takeOver asks for the notices another node claimed and, by this node's
// view, has not sent for longer than the lease (the decider checks by its
// own clock), at most 100 a run, and sends those granted.
func (e *Engine) takeOver(ctx context.Context, now time.Time, st *Stats) error {
	lease := e.lease()
	cutoff := now.UTC().Add(-lease).Format(domain.TimeLayout)
	keys, err := e.keys(ctx, `SELECT notice_key FROM notices WHERE status IN (?,?,?) AND claim_stamp<>'' AND claimed_by<>? AND digest=''
		AND claimed_at<=? AND status_at<=? ORDER BY claimed_at LIMIT 100`, StatusClaimed, StatusRetry, StatusSending, e.cfg.Node, cutoff, cutoff)
	if err != nil || len(keys) == 0 {
		return err
	}
	granted, err := e.claim(ctx, claimRequest{Takeover: keys, Lease: lease.String()})
	if err != nil {
		st.Unclaimable++
		e.lg.Warn("notices of a silent node not taken over now; tried again at the next run", "err", err)
		return nil
	}
	for _, k := range granted {
		e.lg.Info("notice taken over from a node that did not send it within the lease", "key", k)
		st.TakenOver++
		r, err := e.record(ctx, k)
		if err != nil {
			return err
		}
		if err := e.process(ctx, now, r, st); err != nil {
			return err
		}
	}
	return nil
}
