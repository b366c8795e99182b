package branch

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"stacks/replicate"
)

// Applier folds branch ops into the state tables. It is deterministic,
// idempotent and commutative: it reads only the op and current state.
type Applier struct {
	// PlantedBug deliberately breaks the applier, so that the simulations
	// can show their checker catches it. Never set outside a simulation.
	// "arrival-order": last-writer-wins ignores the (HLC, origin) stamp and
	// keeps whichever write arrived last.
	PlantedBug string
}

var _ replicate.Applier = Applier{}

// PlantedBugs are the bugs a simulation may plant.
var PlantedBugs = []string{"arrival-order"}

// StateTables are the tables derived from the op log, in hash order.
var StateTables = []string{"libraries", "categories", "item_types", "patrons", "biblios", "items", "loans",
	"loan_renewals", "holds", "fees", "rules", "opening_hours", "closed_days", "staff", "overrides", "hold_traps",
	"conflicts", "conflict_resolutions", "pin_attempts", "audit", "registry_nodes"}

// lwwTable describes a table merged field by field.
type lwwTable struct {
	name   string
	keys   []string
	fields map[string]bool
}

func fieldSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

var lwwTables = map[string]lwwTable{
	KindLibrarySet:  {"libraries", []string{"branch_id"}, fieldSet("name", "institution_id", "address", "email", "phone", "hold_shelf_days")},
	KindCategorySet: {"categories", []string{"category"}, fieldSet("description", "max_fine_cents", "enrolment_months", "max_holds")},
	KindItemTypeSet: {"item_types", []string{"item_type"}, fieldSet("description", "replacement_cents", "processing_cents")},
	KindPatronSet: {"patrons", []string{"patron_id"}, fieldSet("cardnumber", "firstname", "surname", "email", "phone", "address",
		"date_of_birth", "home_branch", "category", "pin_hash", "expiry_date", "blocked", "block_reason", "registered_at")},
	KindBiblioSet: {"biblios", []string{"biblio_id"}, fieldSet("title", "subtitle", "authors", "subjects", "isbn", "language",
		"format", "publisher", "year", "licences")},
	KindItemSet: {"items", []string{"item_id"}, fieldSet("barcode", "biblio_id", "home_branch", "location", "item_type",
		"call_number", "price_cents", "base_status", "transit_to", "seen_at", "properties")},
	KindRuleSet: {"rules", []string{"branch_id", "category", "item_type"}, fieldSet("loan_days", "renewals", "max_loans",
		"fine_cents", "grace_days", "max_fine_cents", "holds_allowed", "deleted")},
	KindHoursSet:  {"opening_hours", []string{"branch_id", "weekday"}, fieldSet("opens", "closes")},
	KindClosedSet: {"closed_days", []string{"branch_id", "date"}, fieldSet("closed", "reason")},
	KindStaffSet:  {"staff", []string{"username"}, fieldSet("display_name", "role", "branch_id", "password_hash", "active", "charset")},
	KindNodeSet:   {"registry_nodes", []string{"node_id"}, fieldSet("branch_id", "role", "name", "retired")},
}

// Apply implements replicate.Applier.
func (a Applier) Apply(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
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
		created, err := applyFields(ctx, tx, t, p, op.Stamp(), a.PlantedBug == "arrival-order")
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
				deferConflict(ctx, tx, ConflictDuplicateCard, c)
			}
			deferConflict(ctx, tx, ConflictLoanLimit, patronID)
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
	case KindRenew:
		return applyRenew(ctx, tx, op)
	case KindHoldPlace:
		return applyHoldPlace(ctx, tx, op)
	case KindHoldStatus:
		return applyHoldStatus(ctx, tx, op)
	case KindFeeLines:
		return applyFeeLines(ctx, tx, op)
	case KindConflictResolve:
		return applyResolve(ctx, tx, op)
	case KindAuditRecord:
		return applyAudit(ctx, tx, op)
	case KindPINAttempt:
		var p pinAttemptOp
		if err := decode(op.Payload, &p); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO pin_attempts (attempt_id, patron_id, ok, at, channel) VALUES (?,?,?,?,?)
			ON CONFLICT DO NOTHING`, op.ID(), p.PatronID, p.OK, p.At, op.Channel)
		return err
	}
	return fmt.Errorf("branch: unknown op kind %q", op.Kind)
}

// KnownKind reports whether this version can apply ops of kind.
func KnownKind(kind string) bool {
	if _, ok := lwwTables[kind]; ok {
		return true
	}
	switch kind {
	case KindCheckout, KindCheckin, KindRenew, KindHoldPlace, KindHoldStatus, KindFeeLines, KindConflictResolve, KindPINAttempt,
		KindAuditRecord:
		return true
	}
	return false
}

func decode(b []byte, v any) error {
	if _, ok := v.(*fieldsOp); !ok {
		// Typed payloads need no number handling.
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("branch: bad op payload: %w", err)
		}
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("branch: bad op payload: %w", err)
	}
	return nil
}

// sqlValue turns a decoded JSON value into what SQLite should store.
func sqlValue(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return x, nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("branch: bad number %q", x)
		}
		return f, nil
	case []any, map[string]any:
		b, err := json.Marshal(x)
		return string(b), err
	}
	return nil, fmt.Errorf("branch: unsupported value %T", v)
}

// applyFields merges fields into one row: each field takes the value of the
// write with the greatest stamp. It reports whether the write made the row.
func applyFields(ctx context.Context, tx *replicate.Tx, t lwwTable, p fieldsOp, stamp replicate.Stamp, arrivalOrder bool) (bool, error) {
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
		if !t.fields[f] {
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
	cb, _ := json.Marshal(clocks)
	cols := append(append([]string{}, t.keys...), names...)
	cols = append(cols, "clocks")
	args := append(append([]any{}, keyVals...), vals...)
	args = append(args, string(cb))
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
	var clocksText string
	if err := tx.QueryRowContext(ctx, "SELECT clocks FROM "+t.name+" WHERE "+strings.Join(where, " AND "), keyVals...).Scan(&clocksText); err != nil {
		return false, err
	}
	current := map[string]string{}
	if err := json.Unmarshal([]byte(clocksText), &current); err != nil {
		return false, fmt.Errorf("branch: %s clocks: %w", t.name, err)
	}
	var sets []string
	var setVals []any
	for i, f := range names {
		if current[f] < string(stamp) || arrivalOrder {
			sets = append(sets, f+"=?")
			setVals = append(setVals, vals[i])
			current[f] = string(stamp)
		}
	}
	if len(sets) == 0 {
		return false, nil
	}
	cb, _ = json.Marshal(current)
	setVals = append(setVals, string(cb))
	setVals = append(setVals, keyVals...)
	_, err = tx.ExecContext(ctx, "UPDATE "+t.name+" SET "+strings.Join(sets, ",")+",clocks=? WHERE "+strings.Join(where, " AND "), setVals...)
	return false, err
}

func recordOverride(ctx context.Context, tx *replicate.Tx, op replicate.Op, action string, o *overrideRec, patronID, itemID string) error {
	if o == nil {
		return nil
	}
	codes, _ := json.Marshal(o.Codes)
	_, err := tx.ExecContext(ctx, `INSERT INTO overrides (op_id, action, codes, reason, actor, channel, patron_id, item_id, at)
		VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
		op.ID(), action, string(codes), o.Reason, op.Actor, op.Channel, patronID, itemID, op.HLC.Time().Format(timeLayout))
	return err
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
	deferConflict(ctx, tx, ConflictDoubleLoan, p.ItemID, p.After)
	deferConflict(ctx, tx, ConflictLoanLimit, p.PatronID)
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
		deferConflict(ctx, tx, ConflictDoubleLoan, p.ItemID, after)
		deferConflict(ctx, tx, ConflictLoanLimit, patronID)
	}
	deferRefreshItem(ctx, tx, p.ItemID)
	return nil
}

func applyRenew(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p renewOp
	if err := decode(op.Payload, &p); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO loan_renewals (renewal_id, loan_id, due_date, renewed_at, branch_id)
		VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING`, p.RenewalID, p.LoanID, p.DueDate, p.RenewedAt, p.BranchID); err != nil {
		return err
	}
	st := string(op.Stamp())
	if _, err := tx.ExecContext(ctx, `INSERT INTO loans (loan_id, due_date, due_stamp) VALUES (?,?,?)
		ON CONFLICT(loan_id) DO UPDATE SET
			due_date=CASE WHEN loans.due_stamp < excluded.due_stamp THEN excluded.due_date ELSE loans.due_date END,
			due_stamp=max(loans.due_stamp, excluded.due_stamp)`, p.LoanID, p.DueDate, st); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE loans SET renewals=(SELECT count(*) FROM loan_renewals WHERE loan_id=?) WHERE loan_id=?`,
		p.LoanID, p.LoanID); err != nil {
		return err
	}
	return recordOverride(ctx, tx, op, "renewal", p.Override, p.PatronID, p.ItemID)
}

func applyHoldPlace(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p holdPlaceOp
	if err := decode(op.Payload, &p); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO holds (hold_id, patron_id, biblio_id, item_id, pickup_branch, placed_at, placed_stamp, placed)
		VALUES (?,?,?,?,?,?,?,1)
		ON CONFLICT(hold_id) DO UPDATE SET patron_id=excluded.patron_id, biblio_id=excluded.biblio_id, item_id=excluded.item_id,
			pickup_branch=excluded.pickup_branch, placed_at=excluded.placed_at, placed_stamp=excluded.placed_stamp, placed=1`,
		p.HoldID, p.PatronID, p.BiblioID, p.ItemID, p.PickupBranch, p.PlacedAt, string(op.Stamp()))
	if err != nil {
		return err
	}
	return recordOverride(ctx, tx, op, "hold", p.Override, p.PatronID, p.ItemID)
}

func applyHoldStatus(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p holdStatusOp
	if err := decode(op.Payload, &p); err != nil {
		return err
	}
	rank, ok := holdRank[p.Status]
	if !ok {
		return fmt.Errorf("branch: unknown hold status %q", p.Status)
	}
	st := string(op.Stamp())
	var prevItem string
	err := tx.QueryRowContext(ctx, `SELECT trapped_item FROM holds WHERE hold_id=?`, p.HoldID).Scan(&prevItem)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO holds (hold_id) VALUES (?)`, p.HoldID); err != nil {
			return err
		}
	}
	// Status moves forward only; at equal rank the later write wins.
	closedAt := ""
	if rank >= holdRank[HoldExpired] {
		closedAt = op.HLC.Time().Format(timeLayout)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE holds SET status=?, status_rank=?, status_stamp=?, closed_at=?
		WHERE hold_id=? AND (status_rank < ? OR (status_rank = ? AND status_stamp < ?))`,
		p.Status, rank, st, closedAt, p.HoldID, rank, rank, st); err != nil {
		return err
	}
	// The shelf expiry date is its own last-writer-wins register.
	if p.ShelfExpires != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE holds SET shelf_expires=?, shelf_stamp=? WHERE hold_id=? AND shelf_stamp < ?`,
			p.ShelfExpires, st, p.HoldID, st); err != nil {
			return err
		}
	}
	// Of two traps of one hold, the earlier wins.
	if p.ItemID != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO hold_traps (hold_id, item_id, stamp) VALUES (?,?,?)
			ON CONFLICT DO UPDATE SET stamp=min(stamp, excluded.stamp)`, p.HoldID, p.ItemID, st); err != nil {
			return err
		}
		deferConflict(ctx, tx, ConflictDoubleTrap, p.HoldID)
		if _, err := tx.ExecContext(ctx, `UPDATE holds SET trapped_item=?, trap_stamp=?
			WHERE hold_id=? AND (trap_stamp='' OR trap_stamp > ?)`, p.ItemID, st, p.HoldID, st); err != nil {
			return err
		}
	}
	var item string
	if err := tx.QueryRowContext(ctx, `SELECT trapped_item FROM holds WHERE hold_id=?`, p.HoldID).Scan(&item); err != nil {
		return err
	}
	for _, id := range []string{prevItem, item, p.ItemID} {
		if id != "" {
			deferRefreshItem(ctx, tx, id)
		}
	}
	return nil
}

func applyFeeLines(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p feeLinesOp
	if err := decode(op.Payload, &p); err != nil {
		return err
	}
	for _, l := range p.Lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO fees (line_id, patron_id, kind, amount_cents, applies_to, loan_id, item_id,
			description, method, created_at, branch_id, stamp) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
			l.LineID, l.PatronID, l.Kind, l.AmountCents, l.AppliesTo, l.LoanID, l.ItemID, l.Description, l.Method, l.CreatedAt, l.BranchID,
			string(op.Stamp())); err != nil {
			return err
		}
	}
	for _, l := range p.Lines {
		for _, id := range []string{l.AppliesTo, l.LineID} {
			if id != "" {
				deferConflict(ctx, tx, ConflictOverpayment, id)
			}
		}
	}
	return nil
}
