package branch

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"stacks/branch/domain"
	"stacks/replicate"
)

var _ replicate.BatchApplier = Applier{}

// DecodeBatch implements replicate.BatchApplier: it decodes the payloads of
// the kinds ApplyBatch writes with multi-row statements (the others decode
// as they apply), off the writer.
func (a Applier) DecodeBatch(ops []replicate.Op) []any {
	out := make([]any, len(ops))
	for i, op := range ops {
		if lay, ok := lwwLayouts[op.Kind]; ok {
			w := &fieldWrite{}
			if err := lay.decodeWrite(op.Payload, w); err != nil {
				out[i] = err
			} else {
				out[i] = w
			}
			continue
		}
		switch op.Kind {
		case KindCheckout:
			out[i] = decodeTo[checkoutOp](op.Payload)
		case KindCheckin:
			out[i] = decodeTo[checkinOp](op.Payload)
		}
	}
	return out
}

// decodeTo decodes a payload into a new T, or returns the error.
func decodeTo[T any](b []byte) any {
	p := new(T)
	if err := decode(b, p); err != nil {
		return err
	}
	return p
}

// decoded returns what DecodeBatch made of an op.
func decoded[T any](op replicate.Op, d any) (*T, error) {
	switch x := d.(type) {
	case *T:
		return x, nil
	case error:
		return nil, fmt.Errorf("op %s: %w", op.ID(), x)
	}
	return nil, fmt.Errorf("op %s: %s payload not decoded", op.ID(), op.Kind)
}

// ApplyBatch implements replicate.BatchApplier; it is the one way ops are
// folded, a local op being a batch of one. A batch is grouped by kind and
// each group written with a few multi-row statements instead of several
// statements per op: appliers are commutative, so grouping by kind is just
// another order, and within a group rows are folded in the batch's order.
// Derived state (item status, conflicts) is re-derived once per batch for
// the keys the batch touched. Kinds without a multi-row form are applied op
// by op; a capability's ops go to its applier, one call per batch.
func (a Applier) ApplyBatch(ctx context.Context, tx *replicate.Tx, ops []replicate.Op, dec []any) error {
	if err := a.beginDeferred(ctx, tx, ops); err != nil {
		return err
	}
	type group struct {
		ops []replicate.Op
		dec []any
	}
	lww := map[string]*group{}
	var lwwKinds []string
	var checkouts, checkins group
	var rest []replicate.Op
	var capOps [][]replicate.Op
	for i, op := range ops {
		if _, ok := lwwTables[op.Kind]; ok {
			g := lww[op.Kind]
			if g == nil {
				g = &group{}
				lww[op.Kind] = g
				lwwKinds = append(lwwKinds, op.Kind)
			}
			g.ops, g.dec = append(g.ops, op), append(g.dec, dec[i])
			continue
		}
		switch op.Kind {
		case KindCheckout:
			checkouts.ops, checkouts.dec = append(checkouts.ops, op), append(checkouts.dec, dec[i])
		case KindCheckin:
			checkins.ops, checkins.dec = append(checkins.ops, op), append(checkins.dec, dec[i])
		default:
			if c, ok := a.owner[op.Kind]; ok {
				if capOps == nil {
					capOps = make([][]replicate.Op, len(a.caps))
				}
				capOps[c] = append(capOps[c], op)
				continue
			}
			if opAppliers[op.Kind] == nil {
				return fmt.Errorf("op %s: branch: unknown op kind %q", op.ID(), op.Kind)
			}
			rest = append(rest, op)
		}
	}
	for _, kind := range lwwKinds {
		if err := a.applyFieldsBatch(ctx, tx, kind, lww[kind].ops, lww[kind].dec); err != nil {
			return err
		}
	}
	if err := applyCheckouts(ctx, tx, checkouts.ops, checkouts.dec); err != nil {
		return err
	}
	if err := applyCheckins(ctx, tx, checkins.ops, checkins.dec); err != nil {
		return err
	}
	for _, op := range rest {
		if err := opAppliers[op.Kind](ctx, tx, op); err != nil {
			return fmt.Errorf("op %s %s: %w", op.ID(), op.Kind, err)
		}
	}
	for c, ops := range capOps {
		if len(ops) == 0 {
			continue
		}
		if err := a.caps[c].Apply(ctx, tx, ops); err != nil {
			return fmt.Errorf("%s: %w", a.caps[c].Name, err)
		}
	}
	for _, c := range a.caps {
		if c.Observe != nil {
			if err := c.Observe(ctx, tx, ops); err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
		}
	}
	a.deferTouched(ctx, tx)
	return nil
}

// patronCards reads the card numbers of patrons.
func patronCards(ctx context.Context, tx *replicate.Tx, ids []string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.patron_id, p.cardnumber FROM json_each(?) AS j CROSS JOIN patrons AS p ON p.patron_id=j.value`,
		replicate.JSONList(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]string, len(ids))
	for rows.Next() {
		var id, card string
		if err := rows.Scan(&id, &card); err != nil {
			return nil, err
		}
		out[id] = card
	}
	return out, rows.Err()
}

// applyCheckouts writes a batch of checkouts with multi-row upserts .
func applyCheckouts(ctx context.Context, tx *replicate.Tx, ops []replicate.Op, dec []any) error {
	if len(ops) == 0 {
		return nil
	}
	ps := make([]*checkoutOp, len(ops))
	args := make([]any, 0, 10*len(ops))
	for i, op := range ops {
		p, err := decoded[checkoutOp](op, dec[i])
		if err != nil {
			return err
		}
		ps[i] = p
		var overridden string
		if p.Override != nil {
			overridden = strings.Join(p.Override.Codes, ",")
		}
		args = append(args, p.LoanID, p.ItemID, p.PatronID, p.BranchID, p.IssuedAt, p.DueDate, string(op.Stamp()), int64(1), p.After, overridden)
	}
	if err := tx.ExecValues(ctx, `INSERT INTO loans (loan_id, item_id, patron_id, branch_id, issued_at, due_date, due_stamp, issued,
			after_loan, overridden)`, 10, `ON CONFLICT(loan_id) DO UPDATE SET item_id=excluded.item_id, patron_id=excluded.patron_id, branch_id=excluded.branch_id,
			issued_at=excluded.issued_at, issued=1, after_loan=excluded.after_loan, overridden=excluded.overridden,
			due_date=CASE WHEN loans.due_stamp < excluded.due_stamp THEN excluded.due_date ELSE loans.due_date END,
			due_stamp=max(loans.due_stamp, excluded.due_stamp)`, args); err != nil {
		return fmt.Errorf("branch: write loans: %w", err)
	}
	for i, op := range ops {
		p := ps[i]
		if err := recordOverride(ctx, tx, op, "checkout", p.Override, p.PatronID, p.ItemID); err != nil {
			return err
		}
		deferConflict(ctx, tx, domain.ConflictDoubleLoan, p.ItemID, p.After)
		deferConflict(ctx, tx, domain.ConflictLoanLimit, p.PatronID)
		deferRefreshItem(ctx, tx, p.ItemID)
	}
	return nil
}

// applyCheckins writes a batch of returns with multi-row upserts (the
// earliest return of a loan wins).
func applyCheckins(ctx context.Context, tx *replicate.Tx, ops []replicate.Op, dec []any) error {
	if len(ops) == 0 {
		return nil
	}
	ps := make([]*checkinOp, len(ops))
	args := make([]any, 0, 6*len(ops))
	ids := make([]string, 0, len(ops))
	for i, op := range ops {
		p, err := decoded[checkinOp](op, dec[i])
		if err != nil {
			return err
		}
		ps[i] = p
		lost := int64(0)
		if p.Lost {
			lost = 1
		}
		args = append(args, p.LoanID, p.ItemID, p.ReturnedAt, p.BranchID, string(op.Stamp()), lost)
		ids = append(ids, p.LoanID)
	}
	if err := tx.ExecValues(ctx, `INSERT INTO loans (loan_id, item_id, returned_at, return_branch, return_stamp, lost)`, 6,
		`ON CONFLICT(loan_id) DO UPDATE SET
			returned_at=CASE WHEN loans.return_stamp='' OR excluded.return_stamp < loans.return_stamp THEN excluded.returned_at ELSE loans.returned_at END,
			return_branch=CASE WHEN loans.return_stamp='' OR excluded.return_stamp < loans.return_stamp THEN excluded.return_branch ELSE loans.return_branch END,
			lost=CASE WHEN loans.return_stamp='' OR excluded.return_stamp < loans.return_stamp THEN excluded.lost ELSE loans.lost END,
			return_stamp=CASE WHEN loans.return_stamp='' OR excluded.return_stamp < loans.return_stamp THEN excluded.return_stamp ELSE loans.return_stamp END`,
		args); err != nil {
		return fmt.Errorf("branch: write loans: %w", err)
	}
	type loanFacts struct {
		patron, after string
		issued        bool
	}
	facts := make(map[string]loanFacts, len(ids))
	rows, err := tx.QueryContext(ctx, `SELECT l.loan_id, l.patron_id, l.after_loan, l.issued FROM json_each(?) AS j
		CROSS JOIN loans AS l ON l.loan_id=j.value`, replicate.JSONList(ids))
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var f loanFacts
		if err := rows.Scan(&id, &f.patron, &f.after, &f.issued); err != nil {
			rows.Close()
			return err
		}
		facts[id] = f
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range ps {
		f, ok := facts[p.LoanID]
		if !ok {
			return fmt.Errorf("branch: loan %s: %w", p.LoanID, sql.ErrNoRows)
		}
		if f.issued {
			deferConflict(ctx, tx, domain.ConflictDoubleLoan, p.ItemID, f.after)
			deferConflict(ctx, tx, domain.ConflictLoanLimit, f.patron)
		}
		deferRefreshItem(ctx, tx, p.ItemID)
	}
	return nil
}
