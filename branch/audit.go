package branch

import (
	"context"
	"strings"
	"time"

	"stacks/replicate"
)

// KindAuditRecord records one privileged or personal-data action: who (the
// op's actor), through which channel (the op's channel), what and when.
const KindAuditRecord = "audit.record" // auditOp

type auditOp struct {
	At       string `json:"at"`
	Action   string `json:"action"`
	Resource string `json:"resource"`
	PatronID string `json:"patron_id,omitempty"`
	ItemID   string `json:"item_id,omitempty"`
	Outcome  string `json:"outcome,omitempty"`
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	AuditID string `json:"audit_id"`
	At      string `json:"at"`
	Actor   string `json:"actor"`
	Channel string `json:"channel"`
	// Action is what was done, e.g. the API route "GET /api/v1/patrons/{id}".
	Action string `json:"action"`
	// Resource is what it was done to, e.g. the request's path.
	Resource string `json:"resource"`
	PatronID string `json:"patron_id,omitempty"`
	ItemID   string `json:"item_id,omitempty"`
	// Outcome is how it ended, e.g. an HTTP status.
	Outcome string `json:"outcome,omitempty"`
}

// AuditRecord is what an edge records; the actor and channel come from the
// context, the time from the service's clock.
type AuditRecord struct {
	Action   string
	Resource string
	PatronID string
	ItemID   string
	Outcome  string
}

// auditFieldMax bounds each recorded field, so that a long query string
// cannot bloat the log.
const auditFieldMax = 512

func clip(s string) string {
	if len(s) > auditFieldMax {
		return s[:auditFieldMax]
	}
	return s
}

// RecordAudit appends records to the audit log in one transaction, as the
// actor in ctx.
func (s *Service) RecordAudit(ctx context.Context, recs ...AuditRecord) error {
	if len(recs) == 0 {
		return nil
	}
	return s.update(ctx, func(t *txn) error {
		for _, r := range recs {
			if r.Action == "" {
				return invalid("An audit record needs an action.")
			}
			op := auditOp{At: t.stamp(), Action: clip(r.Action), Resource: clip(r.Resource), PatronID: clip(r.PatronID),
				ItemID: clip(r.ItemID), Outcome: clip(r.Outcome)}
			if _, err := t.emit(KindAuditRecord, op); err != nil {
				return err
			}
		}
		return nil
	})
}

// applyAudit stores one audit record under its op's ID: inserting is
// idempotent and commutes with every other op.
func applyAudit(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p auditOp
	if err := decode(op.Payload, &p); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit (audit_id, at, actor, channel, action, resource, patron_id, item_id, outcome)
		VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
		op.ID(), p.At, op.Actor, op.Channel, p.Action, p.Resource, p.PatronID, p.ItemID, p.Outcome)
	return err
}

// AuditFilter selects audit entries; zero fields select everything.
type AuditFilter struct {
	Actor    string
	PatronID string
	// From and To bound the time, From inclusive, To exclusive.
	From, To time.Time
	Limit    int
	Offset   int
}

// Audit lists audit entries, newest first.
func (s *Service) Audit(ctx context.Context, f AuditFilter) ([]*AuditEntry, error) {
	var where []string
	var args []any
	if f.Actor != "" {
		where, args = append(where, "actor=?"), append(args, f.Actor)
	}
	if f.PatronID != "" {
		where, args = append(where, "patron_id=?"), append(args, f.PatronID)
	}
	if !f.From.IsZero() {
		where, args = append(where, "at>=?"), append(args, f.From.UTC().Format(timeLayout))
	}
	if !f.To.IsZero() {
		where, args = append(where, "at<?"), append(args, f.To.UTC().Format(timeLayout))
	}
	q := `SELECT audit_id, at, actor, channel, action, resource, patron_id, item_id, outcome FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY at DESC, audit_id DESC"
	if f.Limit > 0 {
		q += " LIMIT ? OFFSET ?"
		args = append(args, f.Limit, f.Offset)
	}
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.AuditID, &e.At, &e.Actor, &e.Channel, &e.Action, &e.Resource, &e.PatronID, &e.ItemID, &e.Outcome); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}
