package branch

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"strings"

	"stacks/branch/domain"
	"stacks/replicate"
)

// The op-by-op fold: each op merged by itself, with a statement or two per
// op. It was the applier of local ops before every op went through
// ApplyBatch; it stays here, in a test file, as the oracle the property
// tests compare the batched fold against (same state, clocks byte for
// byte), being simple enough to check by reading.

// opByOpOracle applies the core's ops one by one. It is not a
// replicate.BatchApplier, so a log over it applies every op through Apply.
type opByOpOracle struct{}

var _ replicate.Applier = opByOpOracle{}

// Apply folds one op by itself, with the op-by-op merges below for the
// kinds ApplyBatch writes with multi-row statements.
func (opByOpOracle) Apply(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	if t, ok := lwwTables[op.Kind]; ok {
		var p fieldsOp
		if err := decodeFields(op.Payload, &p); err != nil {
			return err
		}
		var oldCard string
		patronID, _ := p.Key["patron_id"].(string)
		if op.Kind == KindPatronSet {
			if err := tx.QueryRowContext(ctx, `SELECT cardnumber FROM patrons WHERE patron_id=?`, patronID).Scan(&oldCard); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		created, err := applyFields(ctx, tx, t, p, op.Stamp())
		if err != nil {
			return err
		}
		switch op.Kind {
		case KindItemSet:
			// An item's status depends on base_status and transit_to (and
			// loans and holds): re-derive it for a new row or when the op
			// writes either, as applyFieldsBatch does. A change of location,
			// call number or properties leaves it as it is.
			_, base := p.Fields["base_status"]
			_, transit := p.Fields["transit_to"]
			if created || base || transit {
				id, _ := p.Key["item_id"].(string)
				deferRefreshItem(ctx, tx, id)
			}
			return nil
		case KindPatronSet:
			var card string
			if err := tx.QueryRowContext(ctx, `SELECT cardnumber FROM patrons WHERE patron_id=?`, patronID).Scan(&card); err != nil {
				return err
			}
			for _, c := range []string{oldCard, card} {
				deferConflict(ctx, tx, domain.ConflictDuplicateCard, c)
			}
			deferConflict(ctx, tx, domain.ConflictLoanLimit, patronID)
		case KindRuleSet:
			delete(txMemo(tx), rulesMemo)
			tx.Defer("limits", func() error { return recomputeAllLimits(ctx, tx) })
		}
		return nil
	}
	switch op.Kind {
	case KindCheckout:
		return applyCheckout(ctx, tx, op)
	case KindCheckin:
		return applyCheckin(ctx, tx, op)
	}
	if f := opAppliers[op.Kind]; f != nil {
		return f(ctx, tx, op)
	}
	return fmt.Errorf("branch: unknown op kind %q", op.Kind)
}

// applyFields merges fields into one row: each field takes the value of the
// write with the greatest stamp. It reports whether the write made the row.
func applyFields(ctx context.Context, tx *replicate.Tx, t lwwTable, p fieldsOp, stamp replicate.Stamp) (bool, error) {
	keyVals := make([]any, len(t.keys))
	where := make([]string, len(t.keys))
	for i, k := range t.keys {
		v, ok := p.Key[k]
		if !ok {
			return false, fmt.Errorf("branch: %s op lacks key %s", t.name, k)
		}
		sv, err := sqlValue(v)
		if err != nil {
			return false, err
		}
		keyVals[i] = sv
		where[i] = k + "=?"
	}
	// Most writes create a row (registrations, new items, catch-up of a
	// new branch): try that first, one statement.
	names := make([]string, 0, len(p.Fields))
	for f := range p.Fields {
		if !slices.Contains(t.fields, f) {
			return false, fmt.Errorf("branch: %s has no field %q", t.name, f)
		}
		names = append(names, f)
	}
	sort.Strings(names)
	vals := make([]any, 0, len(names)+len(keyVals)+1)
	clocks := make(map[string]string, len(names))
	for _, f := range names {
		v, err := sqlValue(p.Fields[f])
		if err != nil {
			return false, err
		}
		vals = append(vals, v)
		clocks[f] = string(stamp)
	}
	cb, err := oracleClocks(t, clocks)
	if err != nil {
		return false, err
	}
	cols := append(append([]string{}, t.keys...), names...)
	cols = append(cols, "clocks")
	args := append(append([]any{}, keyVals...), vals...)
	args = append(args, cb)
	res, err := tx.ExecContext(ctx, "INSERT INTO "+t.name+" ("+strings.Join(cols, ",")+") VALUES (?"+strings.Repeat(",?", len(cols)-1)+
		") ON CONFLICT DO NOTHING", args...)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err == nil, err
	}
	// The row exists: each field takes the value of the write with the
	// greatest stamp.
	var stored []byte
	if err := tx.QueryRowContext(ctx, "SELECT clocks FROM "+t.name+" WHERE "+strings.Join(where, " AND "), keyVals...).Scan(&stored); err != nil {
		return false, err
	}
	current, err := DecodeClocks(t.name, stored)
	if err != nil {
		return false, err
	}
	var sets []string
	var setVals []any
	for i, f := range names {
		if current[f] < string(stamp) {
			sets = append(sets, f+"=?")
			setVals = append(setVals, vals[i])
			current[f] = string(stamp)
		}
	}
	if len(sets) == 0 {
		return false, nil
	}
	if cb, err = oracleClocks(t, current); err != nil {
		return false, err
	}
	setVals = append(setVals, cb)
	setVals = append(setVals, keyVals...)
	_, err = tx.ExecContext(ctx, "UPDATE "+t.name+" SET "+strings.Join(sets, ",")+",clocks=? WHERE "+strings.Join(where, " AND "), setVals...)
	return false, err
}

// oracleClocks encodes a row's clocks (field name to stamp) by the
// stored format's definition (clocks.go), written out again here rather
// than through encodeClocks: one group (mask, stamp) per distinct stamp,
// most fields first, then greatest stamp first.
func oracleClocks(t lwwTable, clocks map[string]string) ([]byte, error) {
	masks := map[string]uint64{}
	for f, st := range clocks {
		i := slices.Index(t.fields, f)
		if i < 0 {
			return nil, fmt.Errorf("branch: %s has no field %q", t.name, f)
		}
		masks[st] |= 1 << i
	}
	stamps := make([]string, 0, len(masks))
	for st := range masks {
		stamps = append(stamps, st)
	}
	sort.Slice(stamps, func(i, j int) bool {
		ci, cj := bits.OnesCount64(masks[stamps[i]]), bits.OnesCount64(masks[stamps[j]])
		if ci != cj {
			return ci > cj
		}
		return stamps[i] > stamps[j]
	})
	out := []byte{0x01}
	for _, st := range stamps {
		out = binary.AppendUvarint(out, masks[st])
		raw, err := hex.DecodeString(st)
		if err != nil || len(raw) != 16 {
			return nil, fmt.Errorf("branch: bad stamp %q", st)
		}
		out = append(out, raw...)
	}
	return out, nil
}

func applyCheckout(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p checkoutOp
	if err := decode(op.Payload, &p); err != nil {
		return err
	}
	st := string(op.Stamp())
	var overridden string
	if p.Override != nil {
		overridden = strings.Join(p.Override.Codes, ",")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO loans (loan_id, item_id, patron_id, branch_id, issued_at, due_date, due_stamp, issued,
			after_loan, overridden)
		VALUES (?,?,?,?,?,?,?,1,?,?)
		ON CONFLICT(loan_id) DO UPDATE SET item_id=excluded.item_id, patron_id=excluded.patron_id, branch_id=excluded.branch_id,
			issued_at=excluded.issued_at, issued=1, after_loan=excluded.after_loan, overridden=excluded.overridden,
			due_date=CASE WHEN loans.due_stamp < excluded.due_stamp THEN excluded.due_date ELSE loans.due_date END,
			due_stamp=max(loans.due_stamp, excluded.due_stamp)`,
		p.LoanID, p.ItemID, p.PatronID, p.BranchID, p.IssuedAt, p.DueDate, st, p.After, overridden)
	if err != nil {
		return err
	}
	if err := recordOverride(ctx, tx, op, "checkout", p.Override, p.PatronID, p.ItemID); err != nil {
		return err
	}
	deferConflict(ctx, tx, domain.ConflictDoubleLoan, p.ItemID, p.After)
	deferConflict(ctx, tx, domain.ConflictLoanLimit, p.PatronID)
	deferRefreshItem(ctx, tx, p.ItemID)
	return nil
}

func applyCheckin(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p checkinOp
	if err := decode(op.Payload, &p); err != nil {
		return err
	}
	lost := 0
	if p.Lost {
		lost = 1
	}
	// The earliest return of a loan wins, so replicas agree whatever order
	// two returns of one loan arrive in.
	_, err := tx.ExecContext(ctx, `INSERT INTO loans (loan_id, item_id, returned_at, return_branch, return_stamp, lost)
		VALUES (?,?,?,?,?,?)
		ON CONFLICT(loan_id) DO UPDATE SET
			returned_at=CASE WHEN loans.return_stamp='' OR excluded.return_stamp < loans.return_stamp THEN excluded.returned_at ELSE loans.returned_at END,
			return_branch=CASE WHEN loans.return_stamp='' OR excluded.return_stamp < loans.return_stamp THEN excluded.return_branch ELSE loans.return_branch END,
			lost=CASE WHEN loans.return_stamp='' OR excluded.return_stamp < loans.return_stamp THEN excluded.lost ELSE loans.lost END,
			return_stamp=CASE WHEN loans.return_stamp='' OR excluded.return_stamp < loans.return_stamp THEN excluded.return_stamp ELSE loans.return_stamp END`,
		p.LoanID, p.ItemID, p.ReturnedAt, p.BranchID, string(op.Stamp()), lost)
	if err != nil {
		return err
	}
	var patronID, after string
	var issued bool
	if err := tx.QueryRowContext(ctx, `SELECT patron_id, after_loan, issued FROM loans WHERE loan_id=?`, p.LoanID).Scan(&patronID, &after, &issued); err != nil {
		return err
	}
	if issued {
		deferConflict(ctx, tx, domain.ConflictDoubleLoan, p.ItemID, after)
		deferConflict(ctx, tx, domain.ConflictLoanLimit, patronID)
	}
	deferRefreshItem(ctx, tx, p.ItemID)
	return nil
}
