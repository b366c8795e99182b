package notices

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"

	"stacks/branch"
	"stacks/replicate"
)

// Op kinds.
const (
	KindClaim  = "notices.claim"  // claimOp: who sends a notice (decided once)
	KindStatus = "notices.status" // statusOp: sending, sent, retry, failed, unknown, dropped
	KindTrack  = "notices.track"  // trackOp: opened, clicked, bounced, posted
	KindFlag   = "notices.flag"   // flagOp: a contact flagged for staff (or cleared)
	KindRule   = "notices.rule"   // ruleOp: an overdue rule set or deleted
	// KindTakeover: takeoverOp, a claim whose lease ran out passed to
	// another node (lease.go).
	KindTakeover = "notices.takeover"
)

// Statuses of a notice.
const (
	StatusClaimed = "claimed" // claimed, not yet tried
	StatusSending = "sending" // handed to the channel; no answer recorded yet
	StatusRetry   = "retry"   // a temporary failure: tried again at next_attempt
	StatusSent    = "sent"
	StatusFailed  = "failed"  // a permanent failure (reason)
	StatusUnknown = "unknown" // the outcome was lost in a crash: never re-sent blind
	StatusDropped = "dropped" // no longer due when re-checked just before the send
)

type claimOp struct {
	Key        string `json:"key"`
	Base       string `json:"base"`
	Kind       string `json:"kind"`
	PatronID   string `json:"patron_id"`
	Subject    string `json:"subject"`
	Occurrence string `json:"occurrence"`
	Channel    string `json:"channel"`
	BranchID   string `json:"branch_id"`
	Digest     string `json:"digest,omitempty"`
	FallbackOf string `json:"fallback_of,omitempty"`
	ResendOf   string `json:"resend_of,omitempty"`
	Node       string `json:"node"`
	At         string `json:"at"`
}

type statusOp struct {
	Key         string `json:"key"`
	Status      string `json:"status"`
	Reason      string `json:"reason,omitempty"`
	Attempts    int    `json:"attempts,omitempty"`
	NextAttempt string `json:"next_attempt,omitempty"`
	At          string `json:"at"`
}

type trackOp struct {
	Key    string `json:"key"`
	Event  string `json:"event"` // opened, clicked, bounced, posted
	Detail string `json:"detail,omitempty"`
	At     string `json:"at"`
}

type flagOp struct {
	PatronID string `json:"patron_id"`
	Channel  string `json:"channel"`
	Address  string `json:"address,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Cleared  bool   `json:"cleared,omitempty"`
	At       string `json:"at"`
}

type ruleOp struct {
	BranchID  string `json:"branch_id"`
	Category  string `json:"category"`
	Level     int    `json:"level"`
	DelayDays int    `json:"delay_days"`
	Template  string `json:"template,omitempty"`
	Block     bool   `json:"block,omitempty"`
	Deleted   bool   `json:"deleted,omitempty"`
	OpenDays  bool   `json:"open_days,omitempty"`
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// Capability is the notice engine's state as a capability of branch.
func Capability() branch.Capability {
	ms, err := replicate.MigrationsFromFS("notices", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	return branch.Capability{Name: "notices", Kinds: []string{KindClaim, KindStatus, KindTrack, KindFlag, KindRule, KindTakeover},
		Apply: apply, Migrations: ms, StateTables: []string{"notices", "notice_contact_flags", "notice_overdue_rules"},
		Export: export, Erase: erase, PersonalKeys: personalKeys}
}

// apply folds the engine's ops: idempotent and commutative (claims keep
// the earliest, statuses, flags and rules the latest stamp, tracking the
// first time of each event).
func apply(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	for _, op := range ops {
		st := string(op.Stamp())
		bad := func(err error) error { return fmt.Errorf("op %s: notices: bad op payload: %w", op.ID(), err) }
		var err error
		switch op.Kind {
		case KindClaim:
			var p claimOp
			if err := json.Unmarshal(op.Payload, &p); err != nil {
				return bad(err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO notices (notice_key, base, kind, patron_id, subject, occurrence, channel,
				branch_id, digest, fallback_of, resend_of, claimed_by, claimed_at, claim_stamp) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
				ON CONFLICT (notice_key) DO UPDATE SET base=excluded.base, kind=excluded.kind, patron_id=excluded.patron_id,
				subject=excluded.subject, occurrence=excluded.occurrence, channel=excluded.channel, branch_id=excluded.branch_id,
				digest=excluded.digest, fallback_of=excluded.fallback_of, resend_of=excluded.resend_of,
				claimed_by=CASE WHEN notices.takeover_stamp<>'' THEN notices.claimed_by ELSE excluded.claimed_by END,
				claimed_at=CASE WHEN notices.takeover_stamp<>'' THEN notices.claimed_at ELSE excluded.claimed_at END, claim_stamp=excluded.claim_stamp
				WHERE notices.claim_stamp='' OR excluded.claim_stamp < notices.claim_stamp`,
				p.Key, p.Base, p.Kind, p.PatronID, p.Subject, p.Occurrence, p.Channel, p.BranchID, p.Digest, p.FallbackOf,
				p.ResendOf, p.Node, p.At, st)
			if err == nil {
				_, err = tx.ExecContext(ctx, `UPDATE notices SET msg_hash=? WHERE notice_key=? AND msg_hash=''`, MessageHash(p.Key), p.Key)
			}
		case KindStatus:
			// Last writer wins, except that an outcome (sent, failed,
			// dropped) beats a status that is not one, whatever their
			// stamps: a node cut off mid-send that comes back with "sent"
			// overrides the "unknown" decided in its absence.
			var p statusOp
			if err := json.Unmarshal(op.Payload, &p); err != nil {
				return bad(err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO notices (notice_key, status, status_stamp, status_at, reason, attempts, next_attempt)
				VALUES (?,?,?,?,?,?,?) ON CONFLICT (notice_key) DO UPDATE SET status=excluded.status, status_stamp=excluded.status_stamp,
				status_at=excluded.status_at, reason=excluded.reason, attempts=excluded.attempts, next_attempt=excluded.next_attempt
				WHERE (excluded.status IN ('sent','failed','dropped'), excluded.status_stamp) >
					(notices.status IN ('sent','failed','dropped'), notices.status_stamp)`, p.Key, p.Status, st, p.At, p.Reason, p.Attempts, p.NextAttempt)
		case KindTrack:
			var p trackOp
			if err := json.Unmarshal(op.Payload, &p); err != nil {
				return bad(err)
			}
			col := map[string]string{"opened": "opened_at", "clicked": "clicked_at", "bounced": "bounced_at", "posted": "posted_at"}[p.Event]
			if col == "" {
				continue // an event this version does not know
			}
			if _, err = tx.ExecContext(ctx, `INSERT INTO notices (notice_key) VALUES (?) ON CONFLICT DO NOTHING`, p.Key); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE notices SET `+col+`=? WHERE notice_key=? AND (`+col+`='' OR `+col+`>?)`, p.At, p.Key, p.At)
			if err == nil && p.Event == "bounced" {
				_, err = tx.ExecContext(ctx, `UPDATE notices SET bounce_reason=? WHERE notice_key=? AND bounced_at=?`, p.Detail, p.Key, p.At)
			}
		case KindFlag:
			var p flagOp
			if err := json.Unmarshal(op.Payload, &p); err != nil {
				return bad(err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO notice_contact_flags (patron_id, channel, address, reason, flagged_at, cleared, stamp)
				VALUES (?,?,?,?,?,?,?) ON CONFLICT (patron_id, channel) DO UPDATE SET address=excluded.address, reason=excluded.reason,
				flagged_at=excluded.flagged_at, cleared=excluded.cleared, stamp=excluded.stamp WHERE excluded.stamp > notice_contact_flags.stamp`,
				p.PatronID, p.Channel, p.Address, p.Reason, p.At, p.Cleared, st)
		case KindTakeover:
			var p takeoverOp
			if err := json.Unmarshal(op.Payload, &p); err != nil {
				return bad(err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO notices (notice_key, claimed_by, claimed_at, takeover_stamp) VALUES (?,?,?,?)
				ON CONFLICT (notice_key) DO UPDATE SET claimed_by=excluded.claimed_by, claimed_at=excluded.claimed_at,
				takeover_stamp=excluded.takeover_stamp WHERE excluded.takeover_stamp > notices.takeover_stamp`, p.Key, p.Node, p.At, st)
		case KindRule:
			var p ruleOp
			if err := json.Unmarshal(op.Payload, &p); err != nil {
				return bad(err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO notice_overdue_rules (branch_id, category, level, delay_days, template, block, deleted, stamp, open_days)
				VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (branch_id, category, level) DO UPDATE SET delay_days=excluded.delay_days,
				template=excluded.template, block=excluded.block, deleted=excluded.deleted, stamp=excluded.stamp, open_days=excluded.open_days
				WHERE excluded.stamp > notice_overdue_rules.stamp`, p.BranchID, p.Category, p.Level, p.DelayDays, p.Template, p.Block, p.Deleted, st, p.OpenDays)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
