// Package audit is the audit log of Stacks: who read or changed what, when
// and through which channel. It is a capability of branch (see
// branch.Capability): its op kind, applier, migrations, table, command and
// queries live here, and the wiring registers Capability() with the
// applier, the migrations and the service.
package audit

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// KindRecord records one privileged or personal-data action: who (the op's
// actor), through which channel (the op's channel), what and when.
const KindRecord = "audit.record" // recordOp

type recordOp struct {
	At       string `json:"at"`
	Action   string `json:"action"`
	Resource string `json:"resource"`
	PatronID string `json:"patron_id,omitempty"`
	ItemID   string `json:"item_id,omitempty"`
	Outcome  string `json:"outcome,omitempty"`
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// Capability is the audit log as a capability of branch: hand it to
// branch.NewApplier, branch.Migrations and branch.Config.Capabilities.
func Capability() branch.Capability {
	ms, err := replicate.MigrationsFromFS("audit", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	return branch.Capability{
		Name:        "audit",
		Kinds:       []string{KindRecord},
		Apply:       apply,
		Migrations:  ms,
		StateTables: []string{"audit"},
		// The audit table was hashed after pin_attempts when it was the
		// core's: it stays there, so state hashes did not change.
		HashAfter: "pin_attempts",
		Export:    export,
		Erase:     erase,
	}
}

// Entry is one line of the audit log.
type Entry struct {
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

// Record is what an edge records; the actor and channel come from the
// context, the time from the service's clock.
type Record struct {
	Action   string
	Resource string
	PatronID string
	ItemID   string
	Outcome  string
}

// fieldMax bounds each recorded field, so that a long query string cannot
// bloat the log.
const fieldMax = 512

func clip(s string) string {
	if len(s) > fieldMax {
		return s[:fieldMax]
	}
	return s
}

// timeLayout is how instants are stored (as branch stores them): UTC, fixed
// width, so they sort.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Service records and lists audit entries over a branch service.
type Service struct {
	svc *branch.Service
}

// NewService returns the audit log of svc, whose node runs Capability().
func NewService(svc *branch.Service) *Service { return &Service{svc: svc} }

// Record appends records to the audit log in one transaction, as the actor
// in ctx.
func (s *Service) Record(ctx context.Context, recs ...Record) error {
	if len(recs) == 0 {
		return nil
	}
	return s.svc.Update(ctx, func(t *branch.Txn) error { return s.RecordIn(ctx, t, recs...) })
}

// RecordIn appends records to the audit log inside t, a transaction of
// another command (e.g. from a branch.Rider: the record commits with the
// change it audits), as t's actor at t's time.
func (s *Service) RecordIn(ctx context.Context, t *branch.Txn, recs ...Record) error {
	for _, r := range recs {
		if r.Action == "" {
			return &domain.Error{Code: domain.ErrInvalid.Code, Message: "An audit record needs an action."}
		}
		op := recordOp{At: t.Stamp(), Action: clip(r.Action), Resource: clip(r.Resource), PatronID: clip(r.PatronID),
			ItemID: clip(r.ItemID), Outcome: clip(r.Outcome)}
		if _, err := t.Emit(ctx, KindRecord, op); err != nil {
			return err
		}
	}
	return nil
}

// apply stores each audit record under its op's ID: inserting is
// idempotent and commutes with every other op.
//
// A dry run (a central node learning the ops of a command to propose them)
// does not store them: a command never reads back an audit record it
// emitted (the record of a request rides at its very end), and the record
// is stored on every node, this one too, when the committed entry is
// applied. At central every audited write was inserted four times (the
// leader's dry run, then on each of three nodes), one of them wasted.
func apply(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	if tx.DryRun() {
		return nil
	}
	args := make([]any, 0, 9*len(ops))
	for _, op := range ops {
		var p recordOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return fmt.Errorf("op %s: audit: bad op payload: %w", op.ID(), err)
		}
		args = append(args, op.ID(), p.At, op.Actor, op.Channel, p.Action, p.Resource, p.PatronID, p.ItemID, p.Outcome)
	}
	return tx.ExecValues(ctx, `INSERT INTO audit (audit_id, at, actor, channel, action, resource, patron_id, item_id, outcome)`, 9,
		`ON CONFLICT DO NOTHING`, args)
}

// Filter selects audit entries; zero fields select everything.
type Filter struct {
	Actor    string
	PatronID string
	// From and To bound the time, From inclusive, To exclusive.
	From, To time.Time
	Limit    int
	Offset   int
}

// List lists audit entries, newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]*Entry, error) {
	var where []string
	var args []any
	if f.Actor != "" {
		where, args = append(where, "actor=?"), append(args, f.Actor)
	}
	if f.PatronID != "" {
		// patron_id<>'' lets SQLite use the patron index (partial).
		where, args = append(where, "patron_id=? AND patron_id<>''"), append(args, f.PatronID)
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
	rows, err := s.svc.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Entry{}
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.AuditID, &e.At, &e.Actor, &e.Channel, &e.Action, &e.Resource, &e.PatronID, &e.ItemID, &e.Outcome); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}
