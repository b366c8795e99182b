package privacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
)

// Service runs privacy's commands and queries over a branch service whose
// node runs Capability().
type Service struct {
	svc  *branch.Service
	caps []branch.Capability
}

// New returns the privacy service of svc; the capabilities svc runs
// (branch.Config.Capabilities) contribute their Export to an export.
func New(svc *branch.Service) *Service {
	return &Service{svc: svc, caps: svc.Capabilities()}
}

func (s *Service) has(name string) bool {
	for _, c := range s.caps {
		if c.Name == name {
			return true
		}
	}
	return false
}

// Errors.
var (
	errReason     = domain.Invalid("Give the reason for the erasure.")
	errMode       = domain.Invalid("Retention is at_return, after_days (with days from 1 to 3650) or keep.")
	errPermission = domain.Fail(domain.CodeNotPermitted, "Only a supervisor may erase a patron.")
)

// Erase erases a patron (GDPR article 17): a supervisor's command, with a
// reason; refused while the patron holds items or owes money. It returns
// once the tombstone is committed here; every replica erases the patron
// when the op reaches it.
func (s *Service) Erase(ctx context.Context, patronID, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errReason
	}
	if a := domain.ActorFrom(ctx); !a.CanOverride() {
		return errPermission
	}
	if _, err := s.svc.Patron(ctx, patronID); err != nil {
		return err
	}
	return s.svc.Update(ctx, func(t *branch.Txn) error {
		var loans int
		var owed int64
		if err := t.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM loans WHERE patron_id=?1 AND returned_at=''),
			(SELECT coalesce(sum(amount_cents),0) FROM fees WHERE patron_id=?1)`, patronID).Scan(&loans, &owed); err != nil {
			return err
		}
		switch {
		case loans > 0:
			return &domain.Error{Code: domain.CodeErasureRefused,
				Message: fmt.Sprintf("The patron still has %d item(s) on loan; they must be returned (or settled as lost) before erasure.", loans)}
		case owed > 0:
			return &domain.Error{Code: domain.CodeErasureRefused,
				Message: fmt.Sprintf("The patron still owes %d.%02d; it must be paid or waived before erasure.", owed/100, owed%100)}
		}
		_, err := t.Emit(ctx, KindErase, eraseOp{PatronID: patronID, Reason: reason, At: t.Stamp()})
		return err
	})
}

// Erased reports whether the patron was erased, and when.
func (s *Service) Erased(ctx context.Context, patronID string) (string, bool, error) {
	var at string
	err := s.svc.Read().QueryRowContext(ctx, `SELECT erased_at FROM privacy_erasures WHERE patron_id=?`, patronID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return at, err == nil, err
}

// ErasureCount is how many patrons this replica knows to be erased.
func (s *Service) ErasureCount(ctx context.Context) (int, error) {
	var n int
	err := s.svc.Read().QueryRowContext(ctx, `SELECT count(*) FROM privacy_erasures`).Scan(&n)
	return n, err
}

// Retention is the loan history retention of a patron category.
type Retention struct {
	Category string `json:"category"`
	Mode     string `json:"mode"`
	Days     int    `json:"days,omitempty"`
}

// SetRetention sets the retention of a category ('*': every category
// without its own).
func (s *Service) SetRetention(ctx context.Context, r Retention) error {
	switch {
	case r.Category == "":
		return domain.Invalid("Name the patron category ('*' for the default).")
	case r.Mode == ModeAfterDays && (r.Days < 1 || r.Days > 3650):
		return errMode
	case r.Mode != ModeAfterDays && r.Mode != ModeAtReturn && r.Mode != ModeKeep:
		return errMode
	}
	if r.Mode != ModeAfterDays {
		r.Days = 0
	}
	return s.svc.Update(ctx, func(t *branch.Txn) error {
		_, err := t.Emit(ctx, KindRetention, retentionOp(r))
		return err
	})
}

// Retentions are the policies set, by category.
func (s *Service) Retentions(ctx context.Context) ([]Retention, error) {
	rows, err := s.svc.Read().QueryContext(ctx, `SELECT category, mode, days FROM privacy_retention ORDER BY category`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Retention{}
	for rows.Next() {
		var r Retention
		if err := rows.Scan(&r.Category, &r.Mode, &r.Days); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RetentionFor is the retention that applies to a patron's loan history:
// their category's, else the default ('*'), else DefaultMode.
func (s *Service) RetentionFor(ctx context.Context, patronID string) (Retention, error) {
	r := Retention{Mode: DefaultMode}
	err := s.svc.Read().QueryRowContext(ctx, `SELECT p.category, coalesce(r1.mode, r2.mode, ?2), coalesce(r1.days, r2.days, 0)
		FROM patrons p LEFT JOIN privacy_retention r1 ON r1.category=p.category
		LEFT JOIN privacy_retention r2 ON r2.category='*' WHERE p.patron_id=?1`, patronID, DefaultMode).Scan(&r.Category, &r.Mode, &r.Days)
	if errors.Is(err, sql.ErrNoRows) {
		return r, domain.Fail(domain.CodePatronNotFound, "There is no patron %s.", patronID)
	}
	return r, err
}

// SweepBatch bounds the loans one anonymise op names.
const SweepBatch = 200

// Sweep anonymises the returned loans whose retention has run out (the
// patron's category's policy; at return for an erased patron; never while
// the patron keeps their reading history and the loan is in it), with the
// rows that lead from them to the patron: the fulfilled holds, audit
// records, notices and overrides naming the patron and the item. Only
// loans returned at returnBranch are swept ("" sweeps all), so that one
// node issues each anonymisation; two nodes issuing one are harmless. It
// returns how many loans it anonymised.
func (s *Service) Sweep(ctx context.Context, returnBranch string) (int, error) {
	total := 0
	for {
		n := 0
		err := s.svc.Update(ctx, func(t *branch.Txn) error {
			var err error
			n, err = s.sweepOnce(ctx, t, returnBranch)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < SweepBatch {
			return total, nil
		}
	}
}

type candidate struct {
	loan, patron, item, returned, erased, mode string
	days                                       int
	history, since, cleared                    string
}

func (s *Service) sweepOnce(ctx context.Context, t *branch.Txn, returnBranch string) (int, error) {
	prefs := `'', '', ''`
	if s.has("patronprefs") {
		prefs = `coalesce((SELECT value FROM patron_prefs WHERE patron_id=l.patron_id AND field='reading_history'),''),
			coalesce((SELECT value FROM patron_prefs WHERE patron_id=l.patron_id AND field='reading_history_since'),''),
			coalesce((SELECT value FROM patron_prefs WHERE patron_id=l.patron_id AND field='reading_history_cleared'),'')`
	}
	rows, err := t.QueryContext(ctx, `SELECT l.loan_id, l.patron_id, l.item_id, l.returned_at,
		coalesce(e.patron_id,''), coalesce(r1.mode, r2.mode, ?2), coalesce(r1.days, r2.days, 0), `+prefs+`
		FROM loans l LEFT JOIN patrons p ON p.patron_id=l.patron_id
		LEFT JOIN privacy_erasures e ON e.patron_id=l.patron_id
		LEFT JOIN privacy_retention r1 ON r1.category=p.category
		LEFT JOIN privacy_retention r2 ON r2.category='*'
		WHERE l.patron_id>'' AND l.returned_at<>'' AND (?1='' OR l.return_branch=?1)
		ORDER BY l.patron_id, l.loan_id`, returnBranch, DefaultMode)
	if err != nil {
		return 0, err
	}
	now := t.Now()
	var due []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.loan, &c.patron, &c.item, &c.returned, &c.erased, &c.mode, &c.days,
			&c.history, &c.since, &c.cleared); err != nil {
			rows.Close()
			return 0, err
		}
		if expired(c, now) {
			due = append(due, c)
			if len(due) == SweepBatch {
				break
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(due) == 0 {
		return 0, nil
	}
	var op anonymiseOp
	seen := map[string]bool{}
	add := func(list *[]string, ids []string) {
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				*list = append(*list, id)
			}
		}
	}
	for _, c := range due {
		add(&op.Loans, []string{c.loan})
		q := func(query string, args ...any) ([]string, error) { return column(ctx, t, query, args...) }
		ids, err := q(`SELECT hold_id FROM holds WHERE patron_id=? AND trapped_item=? AND status=? ORDER BY hold_id`,
			c.patron, c.item, domain.HoldFulfilled)
		if err != nil {
			return 0, err
		}
		add(&op.Holds, ids)
		if ids, err = q(`SELECT op_id FROM overrides WHERE patron_id=? AND item_id=? ORDER BY op_id`, c.patron, c.item); err != nil {
			return 0, err
		}
		add(&op.Overrides, ids)
		if s.has("audit") {
			if ids, err = q(`SELECT audit_id FROM audit WHERE patron_id=? AND patron_id<>'' AND item_id=? ORDER BY audit_id`, c.patron, c.item); err != nil {
				return 0, err
			}
			add(&op.Audit, ids)
		}
		if s.has("notices") {
			if ids, err = q(`SELECT notice_key FROM notices WHERE patron_id=? AND subject IN (?,?) ORDER BY notice_key`,
				c.patron, c.loan, c.item); err != nil {
				return 0, err
			}
			add(&op.Notices, ids)
		}
	}
	if _, err := t.Emit(ctx, KindAnonymise, op); err != nil {
		return 0, err
	}
	return len(due), nil
}

// expired reports whether a returned loan's retention has run out at now.
func expired(c candidate, now time.Time) bool {
	if c.erased != "" {
		return true
	}
	kept := c.history == "on" && c.returned >= c.since && !(c.cleared != "" && c.returned <= c.cleared)
	if kept {
		return false
	}
	if c.cleared != "" && c.returned <= c.cleared {
		return true // the patron deleted it from their history
	}
	switch c.mode {
	case ModeKeep:
		return false
	case ModeAfterDays:
		return c.returned <= now.Add(-time.Duration(c.days)*24*time.Hour).UTC().Format(domain.TimeLayout)
	default:
		return true
	}
}

// Export is everything Stacks holds about the patron (GDPR articles 15 and
// 20), read from one snapshot of this replica: the core's part (the
// patron record, loans current and kept, renewals, holds, fee lines,
// overrides, PIN attempts, online payments, conflicts) under their own
// keys, and each capability's part under its name (audit, notices,
// patronprefs, digital, handoff, websession, privacy, ...). It also says
// how long loan history is kept for them.
func (s *Service) Export(ctx context.Context, patronID string) (map[string]any, error) {
	if _, err := s.svc.Patron(ctx, patronID); err != nil {
		return nil, err
	}
	ret, err := s.RetentionFor(ctx, patronID)
	if err != nil {
		return nil, err
	}
	tx, err := s.svc.Read().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	out, err := branch.ExportPatronCore(ctx, tx, patronID)
	if err != nil {
		return nil, err
	}
	for _, c := range s.caps {
		if c.Export == nil {
			continue
		}
		part, err := c.Export(ctx, tx, patronID)
		if err != nil {
			return nil, fmt.Errorf("privacy: export of %s: %w", c.Name, err)
		}
		out[c.Name] = part
	}
	out["patron_id"] = patronID
	out["retention"] = ret
	out["format"] = "stacks-patron-export/1"
	return out, nil
}

// RetentionOf is RetentionFor as the web asks for it.
func (s *Service) RetentionOf(ctx context.Context, patronID string) (string, int, error) {
	r, err := s.RetentionFor(ctx, patronID)
	return r.Mode, r.Days, err
}
