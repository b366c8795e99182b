package branch

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"stacks/branch/domain"
	"stacks/replicate"
)

// Applier folds branch ops, and the ops of the capabilities it was given,
// into the state tables. It is deterministic, idempotent and commutative:
// it reads only the op and current state. It folds every op in batches
// (ApplyBatch); a local op is a batch of one.
type Applier struct {
	caps  []Capability
	owner map[string]int // op kind -> index in caps
	// wins, if set, replaces the last-writer-wins comparison of stamps
	// (WithLWWOrder).
	wins func(current, incoming replicate.Stamp) bool
	// touchHooks: some capability has a Touched hook.
	touchHooks bool
	// deferral, if set, defers the capabilities' derived state to their
	// CatchUp passes (Deferring).
	deferral *Deferral
	// first are the op kinds of CatchUpFirst capabilities (Deferring).
	first map[string]bool
}

var _ replicate.BatchApplier = Applier{}

// NewApplier returns the applier of the core's ops and of caps' ops. The
// zero Applier applies the core's alone.
func NewApplier(caps ...Capability) (Applier, error) {
	if err := checkCapabilities(caps); err != nil {
		return Applier{}, err
	}
	a := Applier{caps: caps, owner: map[string]int{}}
	for i, c := range caps {
		for _, k := range c.Kinds {
			a.owner[k] = i
		}
		a.touchHooks = a.touchHooks || c.Touched != nil
	}
	return a, nil
}

// WithLWWOrder returns a copy of a whose last-writer-wins registers take a
// write stamped incoming over a value stamped current ("" if none) when
// wins says so, instead of when incoming is the greater stamp. It breaks
// convergence on purpose: it is a fault a simulation injects to show that
// its checker catches it, and nothing else sets it.
func (a Applier) WithLWWOrder(wins func(current, incoming replicate.Stamp) bool) Applier {
	a.wins = wins
	return a
}

// newer reports whether a field write stamped incoming replaces the value
// stamped current.
func (a Applier) newer(current, incoming string) bool {
	if a.wins != nil {
		return a.wins(replicate.Stamp(current), replicate.Stamp(incoming))
	}
	return current < incoming
}

// Apply folds one op, as a batch of one. (The log calls ApplyBatch itself;
// Apply is here for replicate.Applier.)
func (a Applier) Apply(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	ops := []replicate.Op{op}
	return a.ApplyBatch(ctx, tx, ops, a.DecodeBatch(ops))
}

// lwwTable describes a table merged field by field.
type lwwTable struct {
	name   string
	keys   []string
	fields []string // by ordinal
}

// ordinals lists a table's fields in ordinal order: field i is bit i of
// the field masks of its stored clocks (clocks.go). The lists below were
// the field names sorted when the binary clocks were frozen (migration
// 100); the ordinals are part of the stored format, the same on every node
// and version, so a field added later is appended at the end of its list,
// and none is ever reordered, renamed or removed (TestLWWOrdinalsFrozen).
func ordinals(names ...string) []string { return names }

var lwwTables = map[string]lwwTable{
	KindLibrarySet:  {"libraries", []string{"branch_id"}, ordinals("address", "email", "hold_shelf_days", "institution_id", "name", "phone")},
	KindCategorySet: {"categories", []string{"category"}, ordinals("description", "enrolment_months", "max_fine_cents", "max_holds")},
	KindItemTypeSet: {"item_types", []string{"item_type"}, ordinals("description", "processing_cents", "replacement_cents")},
	KindPatronSet:   {"patrons", []string{"patron_id"}, ordinals("address", "block_reason", "blocked", "cardnumber", "category", "date_of_birth", "email", "expiry_date", "firstname", "home_branch", "language", "phone", "pin_hash", "registered_at", "surname")},
	KindBiblioSet:   {"biblios", []string{"biblio_id"}, ordinals("audience", "authors", "format", "isbn", "isbns", "issn", "language", "licences", "notes", "publisher", "series", "sort_title", "subjects", "subtitle", "title", "year")},
	KindItemSet:     {"items", []string{"item_id"}, ordinals("barcode", "base_status", "biblio_id", "call_number", "home_branch", "item_type", "location", "price_cents", "properties", "seen_at", "transit_to")},
	KindRuleSet:     {"rules", []string{"branch_id", "category", "item_type"}, ordinals("deleted", "fine_cents", "grace_days", "holds_allowed", "loan_days", "max_fine_cents", "max_loans", "renewals")},
	KindHoursSet:    {"opening_hours", []string{"branch_id", "weekday"}, ordinals("closes", "opens")},
	KindClosedSet:   {"closed_days", []string{"branch_id", "date"}, ordinals("closed", "reason")},
	KindStaffSet:    {"staff", []string{"username"}, ordinals("active", "branch_id", "charset", "display_name", "password_hash", "role")},
	KindNodeSet:     {"registry_nodes", []string{"node_id"}, ordinals("branch_id", "name", "retired", "role")},
}

// KnownKind reports whether this applier can apply ops of kind.
func (a Applier) KnownKind(kind string) bool {
	if coreKind(kind) {
		return true
	}
	_, ok := a.owner[kind]
	return ok
}

// coreKind reports whether kind is one of the core's op kinds.
func coreKind(kind string) bool {
	if _, ok := lwwTables[kind]; ok {
		return true
	}
	_, ok := opAppliers[kind]
	return ok || kind == KindCheckout || kind == KindCheckin
}

// opAppliers fold the core's kinds that have no multi-row form, one op at
// a time (ApplyBatch calls them for each op of the kind in a batch).
var opAppliers = map[string]func(ctx context.Context, tx *replicate.Tx, op replicate.Op) error{
	KindRenew:           applyRenew,
	KindHoldPlace:       applyHoldPlace,
	KindHoldStatus:      applyHoldStatus,
	KindHoldSuspend:     applyHoldSuspend,
	KindHoldPickup:      applyHoldPickup,
	KindFeeLines:        applyFeeLines,
	KindConflictResolve: applyResolve,
	KindPINAttempt:      applyPINAttempt,
}

func applyPINAttempt(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p pinAttemptOp
	if err := decode(op.Payload, &p); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO pin_attempts (attempt_id, patron_id, ok, at, channel) VALUES (?,?,?,?,?)
		ON CONFLICT DO NOTHING`, op.ID(), p.PatronID, p.OK, p.At, op.Channel)
	return err
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

func recordOverride(ctx context.Context, tx *replicate.Tx, op replicate.Op, action string, o *overrideRec, patronID, itemID string) error {
	if o == nil {
		return nil
	}
	codes, _ := json.Marshal(o.Codes)
	_, err := tx.ExecContext(ctx, `INSERT INTO overrides (op_id, action, codes, reason, actor, channel, patron_id, item_id, at)
		VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
		op.ID(), action, string(codes), o.Reason, op.Actor, op.Channel, patronID, itemID, op.HLC.Time().Format(domain.TimeLayout))
	return err
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
	// A pickup branch changed later (hold.pickup, pickup_stamp set) wins
	// over the one the hold was placed with, whatever order they arrive in.
	_, err := tx.ExecContext(ctx, `INSERT INTO holds (hold_id, patron_id, biblio_id, item_id, pickup_branch, placed_at, placed_stamp,
			not_needed_after, placed)
		VALUES (?,?,?,?,?,?,?,?,1)
		ON CONFLICT(hold_id) DO UPDATE SET patron_id=excluded.patron_id, biblio_id=excluded.biblio_id, item_id=excluded.item_id,
			pickup_branch=CASE WHEN holds.pickup_stamp='' THEN excluded.pickup_branch ELSE holds.pickup_branch END,
			placed_at=excluded.placed_at, placed_stamp=excluded.placed_stamp, not_needed_after=excluded.not_needed_after, placed=1`,
		p.HoldID, p.PatronID, p.BiblioID, p.ItemID, p.PickupBranch, p.PlacedAt, string(op.Stamp()), p.NotNeededAfter)
	if err != nil {
		return err
	}
	return recordOverride(ctx, tx, op, "hold", p.Override, p.PatronID, p.ItemID)
}

// applyHoldSuspend folds a suspension or resumption: the later stamp wins.
func applyHoldSuspend(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p holdSuspendOp
	if err := decode(op.Payload, &p); err != nil {
		return err
	}
	st := string(op.Stamp())
	if _, err := tx.ExecContext(ctx, `INSERT INTO holds (hold_id) VALUES (?) ON CONFLICT DO NOTHING`, p.HoldID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE holds SET suspended_until=?, suspend_stamp=? WHERE hold_id=? AND suspend_stamp < ?`,
		p.Until, st, p.HoldID, st)
	return err
}

// applyHoldPickup folds a change of pickup branch: the later stamp wins,
// and any change wins over the branch the hold was placed with.
func applyHoldPickup(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p holdPickupOp
	if err := decode(op.Payload, &p); err != nil {
		return err
	}
	st := string(op.Stamp())
	if _, err := tx.ExecContext(ctx, `INSERT INTO holds (hold_id) VALUES (?) ON CONFLICT DO NOTHING`, p.HoldID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE holds SET pickup_branch=?, pickup_stamp=? WHERE hold_id=? AND pickup_stamp < ?`,
		p.PickupBranch, st, p.HoldID, st)
	return err
}

func applyHoldStatus(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p holdStatusOp
	if err := decode(op.Payload, &p); err != nil {
		return err
	}
	rank, ok := domain.HoldRank(p.Status)
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
	if expired, _ := domain.HoldRank(domain.HoldExpired); rank >= expired {
		closedAt = op.HLC.Time().Format(domain.TimeLayout)
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
		deferConflict(ctx, tx, domain.ConflictDoubleTrap, p.HoldID)
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
				deferConflict(ctx, tx, domain.ConflictOverpayment, id)
			}
		}
	}
	return nil
}
