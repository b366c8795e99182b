// Package websession ends patrons' web sessions on every node. A patron
// web session is a signed cookie that no node stores (node/web), valid on
// every node sharing the cluster key; to end one before it expires, a
// replicated websession.end op records, per patron, a cutoff: sessions of
// the patron that began at or before it are refused everywhere, except
// one session it may keep (a PIN change ends the patron's other sessions,
// not the one that changed it). It is a capability of branch (see
// branch.Capability).
package websession

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// KindEnd ends a patron's sessions begun until a time.
const KindEnd = "websession.end" // endOp

type endOp struct {
	PatronID string `json:"patron_id"`
	BeforeMs int64  `json:"before_ms"`
	Keep     string `json:"keep,omitempty"`
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// Capability is session ending as a capability of branch.
func Capability() branch.Capability {
	ms, err := replicate.MigrationsFromFS("websession", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	return branch.Capability{Name: "websession", Kinds: []string{KindEnd}, Apply: apply, Migrations: ms,
		StateTables: []string{"web_session_cutoffs"}, Export: export}
}

// apply keeps, per patron, the latest cutoff (and at the same cutoff the
// smaller keep): idempotent and commutative.
func apply(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	for _, op := range ops {
		var p endOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return fmt.Errorf("op %s: websession: bad op payload: %w", op.ID(), err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO web_session_cutoffs (patron_id, before_ms, keep) VALUES (?,?,?)
			ON CONFLICT (patron_id) DO UPDATE SET before_ms=excluded.before_ms, keep=excluded.keep
			WHERE excluded.before_ms > web_session_cutoffs.before_ms
			   OR (excluded.before_ms = web_session_cutoffs.before_ms AND excluded.keep < web_session_cutoffs.keep)`,
			p.PatronID, p.BeforeMs, p.Keep); err != nil {
			return err
		}
	}
	return nil
}

// Service ends and checks sessions over a branch service whose node runs
// Capability().
type Service struct{ svc *branch.Service }

// New returns session ending over svc.
func New(svc *branch.Service) *Service { return &Service{svc: svc} }

// End ends the patron's sessions begun at or before before, except the
// session keep ("" keeps none), on every node.
func (s *Service) End(ctx context.Context, patronID string, before time.Time, keep string) error {
	if patronID == "" {
		return domain.Invalid("No patron.")
	}
	return s.svc.Update(ctx, func(t *branch.Txn) error {
		_, err := t.Emit(ctx, KindEnd, endOp{PatronID: patronID, BeforeMs: before.UnixMilli(), Keep: keep})
		return err
	})
}

// Cutoff is the patron's cutoff: their sessions begun at or before
// beforeMs (Unix ms) are ended, except the session keep. Zero and "" when
// none was ever ended.
func (s *Service) Cutoff(ctx context.Context, patronID string) (beforeMs int64, keep string, err error) {
	err = s.svc.Read().QueryRowContext(ctx, `SELECT before_ms, keep FROM web_session_cutoffs WHERE patron_id=?`, patronID).Scan(&beforeMs, &keep)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return beforeMs, keep, err
}
