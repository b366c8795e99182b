package branch

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"stacks/branch/domain"
	"stacks/replicate"
)

// KindConflictResolve is the op that resolves a conflict.
const KindConflictResolve = "conflict.resolve"

type resolveOp struct {
	ConflictID string          `json:"conflict_id"`
	Kind       string          `json:"kind"`
	Args       []string        `json:"args"`
	Action     string          `json:"action"`
	Note       string          `json:"note"`
	Details    json.RawMessage `json:"details"`
	ResolvedAt string          `json:"resolved_at"`
}

// conflictsMemo caches, per transaction, whether any conflict or
// resolution exists: most batches have none, and then no conflict can need
// clearing.
const conflictsMemo = "branch.conflicts.any"

// conflictID is the same on every replica for the same kind and subject.
func conflictID(kind string, args ...string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + strings.Join(args, "\x00")))
	return kind + "-" + hex.EncodeToString(h[:10])
}

// setConflict records whether a conflict's condition holds (details != nil)
// merged with any resolution of it. A resolved conflict whose condition no
// longer holds keeps the details its resolution recorded.
func setConflict(ctx context.Context, tx *replicate.Tx, kind string, args []string, details any) error {
	id := conflictID(kind, args...)
	memo := txMemo(tx)
	if details == nil {
		// Commonest case: no conflict recorded or resolved anywhere.
		if any, err := anyConflicts(ctx, tx); err != nil || !any {
			return err
		}
		// Common case: no conflict and none recorded or resolved.
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM conflicts WHERE conflict_id=?1
			UNION ALL SELECT 1 FROM conflict_resolutions WHERE conflict_id=?1 LIMIT 1`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	var resDetails, resolution sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT details, json_object('action', action, 'note', note, 'actor', actor, 'resolved_at', resolved_at)
		FROM conflict_resolutions WHERE conflict_id=?`, id).Scan(&resDetails, &resolution)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var detailsJSON string
	switch {
	case details != nil:
		b, err := json.Marshal(details)
		if err != nil {
			return err
		}
		detailsJSON = string(b)
	case resDetails.Valid:
		detailsJSON = resDetails.String
	default:
		_, err := tx.ExecContext(ctx, `DELETE FROM conflicts WHERE conflict_id=?`, id)
		return err
	}
	status := "open"
	if resolution.Valid {
		status = "resolved"
	}
	argsJSON, _ := json.Marshal(args)
	memo[conflictsMemo] = true
	_, err = tx.ExecContext(ctx, `INSERT INTO conflicts (conflict_id, kind, subject, details, status, resolution) VALUES (?,?,?,?,?,?)
		ON CONFLICT(conflict_id) DO UPDATE SET kind=excluded.kind, subject=excluded.subject, details=excluded.details,
			status=excluded.status, resolution=excluded.resolution`,
		id, kind, string(argsJSON), detailsJSON, status, resolution.String)
	return err
}

// queryStrings runs a query of one text column and returns its values.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// recompute re-derives one conflict from state.
func recompute(ctx context.Context, tx *replicate.Tx, kind string, args []string) error {
	switch kind {
	case domain.ConflictDoubleLoan:
		if len(args) == 2 {
			return recomputeDoubleLoan(ctx, tx, args[0], args[1])
		}
	case domain.ConflictDuplicateCard:
		if len(args) == 1 {
			return recomputeCard(ctx, tx, args[0])
		}
	case domain.ConflictLoanLimit:
		if len(args) == 1 {
			return recomputeLimit(ctx, tx, args[0])
		}
	case domain.ConflictOverpayment:
		if len(args) == 1 {
			return recomputeOverpayment(ctx, tx, args[0])
		}
	case domain.ConflictDoubleTrap:
		if len(args) == 1 {
			return recomputeTrap(ctx, tx, args[0])
		}
	}
	return fmt.Errorf("branch: unknown conflict %s%v", kind, args)
}

type loanRef struct {
	LoanID   string `json:"checkout_id"`
	PatronID string `json:"patron_id"`
	Branch   string `json:"library_id"`
	IssuedAt string `json:"checkout_date"`
	Returned string `json:"checkin_date,omitempty"`
}

// recomputeDoubleLoan: the loans of an item form a chain, each checkout
// naming the loan before it. Two checkouts naming the same predecessor were
// made without knowing of each other.
func recomputeDoubleLoan(ctx context.Context, tx *replicate.Tx, itemID, after string) error {
	rows, err := tx.QueryContext(ctx, `SELECT loan_id, patron_id, branch_id, issued_at, returned_at FROM loans
		WHERE item_id=? AND after_loan=? AND issued=1 ORDER BY loan_id`, itemID, after)
	if err != nil {
		return err
	}
	var loans []loanRef
	for rows.Next() {
		var l loanRef
		if err := rows.Scan(&l.LoanID, &l.PatronID, &l.Branch, &l.IssuedAt, &l.Returned); err != nil {
			rows.Close()
			return err
		}
		loans = append(loans, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var details any
	if len(loans) > 1 {
		details = map[string]any{"item_id": itemID, "checkouts": loans}
	}
	return setConflict(ctx, tx, domain.ConflictDoubleLoan, []string{itemID, after}, details)
}

func recomputeCard(ctx context.Context, tx *replicate.Tx, card string) error {
	if card == "" {
		return nil
	}
	ids, err := queryStrings(ctx, tx, `SELECT patron_id FROM patrons WHERE cardnumber=? AND registered_at<>'' ORDER BY patron_id`, card)
	if err != nil {
		return err
	}
	var details any
	if len(ids) > 1 {
		details = map[string]any{"cardnumber": card, "patron_ids": ids}
	}
	return setConflict(ctx, tx, domain.ConflictDuplicateCard, []string{card}, details)
}

// recomputeLimit: a patron's open loans (those not allowed by an override)
// over the limit of the patron's home branch and category.
func recomputeLimit(ctx context.Context, tx *replicate.Tx, patronID string) error {
	var home, cat string
	var n int
	// The patron and the count in one statement. returned_at='' holds
	// whenever return_stamp='' (both are set by the return); it lets the
	// loans_patron index skip returned loans.
	err := tx.QueryRowContext(ctx, `SELECT home_branch, category, (SELECT count(*) FROM loans WHERE patron_id=?1 AND returned_at=''
		AND issued=1 AND return_stamp='' AND instr(overridden, 'too_many_loans')=0) FROM patrons WHERE patron_id=?1`, patronID).Scan(&home, &cat, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	rule, err := ruleFor(ctx, tx, home, cat, "*")
	if err != nil {
		return err
	}
	var details any
	if n > rule.MaxLoans {
		details = map[string]any{"patron_id": patronID, "checkouts": n, "limit": rule.MaxLoans}
	}
	return setConflict(ctx, tx, domain.ConflictLoanLimit, []string{patronID}, details)
}

func recomputeAllLimits(ctx context.Context, tx *replicate.Tx) error {
	ids, err := queryStrings(ctx, tx, `SELECT DISTINCT patron_id FROM loans WHERE issued=1 AND return_stamp=''
		UNION SELECT subject->>0 FROM conflicts WHERE kind='loan_limit'`)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := recomputeLimit(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

func recomputeOverpayment(ctx context.Context, tx *replicate.Tx, lineID string) error {
	var patron string
	var amount, credits int64
	err := tx.QueryRowContext(ctx, `SELECT patron_id, amount_cents, (SELECT coalesce(sum(amount_cents),0) FROM fees c WHERE c.applies_to=f.line_id)
		FROM fees f WHERE line_id=? AND amount_cents>0 AND applies_to=''`, lineID).Scan(&patron, &amount, &credits)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	var details any
	if amount+credits < 0 {
		details = map[string]any{"patron_id": patron, "account_line_id": lineID, "amount_cents": amount, "credit_cents": -(amount + credits)}
	}
	return setConflict(ctx, tx, domain.ConflictOverpayment, []string{lineID}, details)
}

func recomputeTrap(ctx context.Context, tx *replicate.Tx, holdID string) error {
	items, err := queryStrings(ctx, tx, `SELECT item_id FROM hold_traps WHERE hold_id=? ORDER BY stamp, item_id`, holdID)
	if err != nil {
		return err
	}
	var details any
	if len(items) > 1 {
		details = map[string]any{"hold_id": holdID, "kept_item_id": items[0], "released_item_ids": items[1:]}
	}
	return setConflict(ctx, tx, domain.ConflictDoubleTrap, []string{holdID}, details)
}

func applyResolve(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p resolveOp
	if err := decode(op.Payload, &p); err != nil {
		return err
	}
	if p.ConflictID != conflictID(p.Kind, p.Args...) {
		return fmt.Errorf("branch: resolution names conflict %s but describes %s", p.ConflictID, conflictID(p.Kind, p.Args...))
	}
	details := string(p.Details)
	if details == "" {
		details = "null"
	}
	txMemo(tx)[conflictsMemo] = true
	// Of two resolutions of one conflict, the later wins.
	if _, err := tx.ExecContext(ctx, `INSERT INTO conflict_resolutions (conflict_id, action, note, details, actor, resolved_at, stamp)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT(conflict_id) DO UPDATE SET action=excluded.action, note=excluded.note,
			details=excluded.details, actor=excluded.actor, resolved_at=excluded.resolved_at, stamp=excluded.stamp
		WHERE excluded.stamp > conflict_resolutions.stamp`,
		p.ConflictID, p.Action, p.Note, details, op.Actor, p.ResolvedAt, string(op.Stamp())); err != nil {
		return err
	}
	return recompute(ctx, tx, p.Kind, p.Args)
}
