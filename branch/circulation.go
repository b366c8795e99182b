package branch

import (
	"context"
	"database/sql"
	"stacks/branch/domain"
	"strconv"
	"strings"
	"time"
)

// resolveRefusals returns nil to proceed (with the override record to store)
// or the refusal to report.
func (t *txn) resolveRefusals(ctx context.Context, action string, refusals []*domain.Error, o *domain.Override) (*overrideRec, error) {
	if len(refusals) == 0 {
		return nil, nil
	}
	if o == nil {
		first := *refusals[0]
		first.Also = refusals[1:]
		return nil, &first
	}
	if !t.actor.CanOverride() {
		return nil, domain.Fail(domain.CodeOverrideNotAllowed, "%s Only a supervisor may override this.", refusals[0].Message)
	}
	reason := strings.TrimSpace(o.Reason)
	if reason == "" {
		return nil, domain.Fail(domain.CodeOverrideReason, "An override needs a reason.")
	}
	if err := domain.CheckText("Reason", reason, 500); err != nil {
		return nil, err
	}
	rec := &overrideRec{Reason: reason}
	for _, r := range refusals {
		rec.Codes = append(rec.Codes, string(r.Code))
	}
	t.s.lg.Warn("rule override", "action", action, "codes", strings.Join(rec.Codes, ","), "reason", reason,
		"actor", t.actor.ID, "channel", t.actor.Channel)
	return rec, nil
}

func (t *txn) patronBlocks(ctx context.Context, p *domain.Patron) ([]*domain.Error, error) {
	bal, err := t.balanceAndPolicy(ctx, p.PatronID)
	if err != nil {
		return nil, err
	}
	var maxFine int64
	if cat, err := t.category(ctx, p.Category); err == nil {
		maxFine = cat.MaxFineCents
	}
	return patronRefusals(p, bal, maxFine, t.today()), nil
}

// Checkout lends an item to a patron.
func (s *Service) Checkout(ctx context.Context, req domain.CheckoutRequest) (*domain.CheckoutResult, error) {
	var res *domain.CheckoutResult
	err := s.update(ctx, func(t *txn) error {
		var err error
		res, err = t.checkout(ctx, req)
		return err
	})
	return res, err
}

func (t *txn) checkout(ctx context.Context, req domain.CheckoutRequest) (*domain.CheckoutResult, error) {
	p, err := findPatron(ctx, t, req.PatronID, req.Cardnumber)
	if err != nil {
		return nil, err
	}
	it, err := findItem(ctx, t, req.ItemID, req.Barcode)
	if err != nil {
		return nil, err
	}
	// One statement for the item's open loan (if any), its last loan (the
	// one the new loan follows), its title's format (for the statistics),
	// the patron's balance, the policy token, and the patron's open loans,
	// all of them and those of the item's type (the rule that applies
	// limits one or the other).
	var open, after, format string
	var bal, tok int64
	var loans, loansOfType int
	if err := t.QueryRowContext(ctx, `SELECT
		coalesce((SELECT loan_id FROM loans WHERE item_id=?1 AND issued=1 AND return_stamp='' LIMIT 1), ''),
		coalesce((SELECT loan_id FROM loans WHERE item_id=?1 AND issued=1 ORDER BY issued_at DESC, loan_id DESC LIMIT 1), ''),
		coalesce((SELECT format FROM biblios WHERE biblio_id=?2), ''),
		(SELECT coalesce(sum(amount_cents),0) FROM fees WHERE patron_id=?3),
		(SELECT token FROM policy_token WHERE id=0),
		(SELECT count(*) FROM loans WHERE patron_id=?3 AND issued=1 AND return_stamp=''),
		(SELECT count(*) FROM loans l JOIN items i ON i.item_id=l.item_id
			WHERE l.patron_id=?3 AND l.issued=1 AND l.return_stamp='' AND i.item_type=?4)`,
		it.ItemID, it.BiblioID, p.PatronID, it.ItemType).Scan(&open, &after, &format, &bal, &tok, &loans, &loansOfType); err != nil {
		return nil, err
	}
	// The token read now is this transaction's view of the policy.
	txMemo(t.Tx)[policyTokenMemo] = tok
	if open != "" {
		l, err := openLoan(ctx, t, it.ItemID)
		if err != nil {
			return nil, err
		}
		if l != nil && l.PatronID == p.PatronID && req.RenewIfOnLoanToPatron {
			return t.renewOnCheckout(ctx, req, l, it, p)
		}
		if l != nil && l.PatronID == p.PatronID {
			return nil, domain.Fail(domain.CodeAlreadyCheckedOut, "%q is already checked out to this patron, due %s; renew it instead.", it.Title, l.DueDate)
		}
		return nil, domain.Fail(domain.CodeItemCheckedOut, "%q is checked out to another patron; check it in first.", it.Title)
	}
	if it.BaseStatus == domain.ItemWithdrawn {
		return nil, domain.Fail(domain.CodeNotLoanable, "%q has been withdrawn from the collection.", it.Title)
	}
	var maxFine int64
	if cat, err := t.category(ctx, p.Category); err == nil {
		maxFine = cat.MaxFineCents
	}
	refusals := patronRefusals(p, bal, maxFine, t.today())
	if it.BaseStatus == domain.ItemLost || it.BaseStatus == domain.ItemMissing || it.BaseStatus == domain.ItemDamaged {
		refusals = append(refusals, domain.Refuse(domain.CodeItemNotAvailable, "%q is recorded as %s.", it.Title, it.BaseStatus))
	}
	rule, err := ruleFor(ctx, t, t.s.cfg.Branch, p.Category, it.ItemType)
	if err != nil {
		return nil, err
	}
	if rule.LoanDays == 0 {
		refusals = append(refusals, domain.Refuse(domain.CodeNotLoanable, "%q is for use in the library only.", it.Title))
	}
	// The patron's open loans, read above with the item: all of them, or
	// those of the item's type when the rule is for a type (not "*"),
	// which is the item's own.
	n := loans
	if rule.ItemType != "" && rule.ItemType != "*" {
		n = loansOfType
	}
	if n >= rule.MaxLoans {
		refusals = append(refusals, domain.Refuse(domain.CodeTooManyLoans, "The limit of %d items on loan has been reached.", rule.MaxLoans))
	}
	hs, err := t.checkoutHolds(ctx, it, p)
	if err != nil {
		return nil, err
	}
	if hs.trapped != nil && hs.trapped.PatronID != p.PatronID {
		refusals = append(refusals, domain.Refuse(domain.CodeItemOnHold, "%q is being held for another patron.", it.Title))
	} else if hs.trapped == nil && hs.othersWaiting {
		refusals = append(refusals, domain.Refuse(domain.CodeItemOnHold, "%q is reserved for another patron.", it.Title))
	}
	ov, err := t.resolveRefusals(ctx, "checkout", refusals, req.Override)
	if err != nil {
		return nil, err
	}
	cal, err := t.calendar(ctx, t.s.cfg.Branch)
	if err != nil {
		return nil, err
	}
	loanID := t.s.newID(t.now)
	op := checkoutOp{LoanID: loanID, ItemID: it.ItemID, PatronID: p.PatronID, BranchID: t.s.cfg.Branch, IssuedAt: t.stamp(),
		DueDate: cal.dueDate(t.now, rule.LoanDays), After: after, Override: ov, Format: format, Owner: it.HomeBranch}
	if _, err := t.emit(ctx, KindCheckout, op); err != nil {
		return nil, err
	}
	res := &domain.CheckoutResult{Patron: p}
	if ov != nil {
		res.Overridden = ov.Codes
	}
	// The patron's own hold on this item or title is fulfilled by the loan.
	if hs.mine != nil {
		if _, err := t.emit(ctx, KindHoldStatus, holdStatusOp{HoldID: hs.mine.HoldID, Status: domain.HoldFulfilled}); err != nil {
			return nil, err
		}
		res.HoldFilled = hs.mine.HoldID
	}
	if it.Location != t.s.cfg.Branch || it.TransitTo != "" {
		if _, err := t.emit(ctx, KindItemSet, fieldsOp{Key: map[string]any{"item_id": it.ItemID},
			Fields: map[string]any{"location": t.s.cfg.Branch, "transit_to": ""}}); err != nil {
			return nil, err
		}
	}
	// The answer is what was just written; no need to read it back.
	res.Loan = &domain.Loan{LoanID: loanID, ItemID: it.ItemID, PatronID: p.PatronID, BranchID: op.BranchID, IssuedAt: op.IssuedAt,
		DueDate: op.DueDate, Barcode: it.Barcode, Title: it.Title}
	item := *it
	item.Status, item.Location, item.TransitTo = domain.ItemCheckedOut, t.s.cfg.Branch, ""
	res.Item = &item
	return res, nil
}

// renewOnCheckout renews p's open loan l of it, in the checkout's
// transaction: the checkout's override (if any) stands for the renewal's
// refusals.
func (t *txn) renewOnCheckout(ctx context.Context, req domain.CheckoutRequest, l *domain.Loan, it *domain.Item, p *domain.Patron) (*domain.CheckoutResult, error) {
	rr, err := t.renew(ctx, domain.RenewRequest{LoanID: l.LoanID, Override: req.Override})
	if err != nil {
		return nil, err
	}
	item := *it
	return &domain.CheckoutResult{Loan: rr.Loan, Item: &item, Patron: p, Overridden: rr.Overridden, Renewed: true,
		FineCents: rr.FineCents}, nil
}

// checkoutHolds are the holds a checkout of it to p looks at, read in one
// query (each part served by an index; the checkout op changes no hold):
// the active hold it is trapped for, whether another patron waits for this
// very item, and p's own hold that the loan fulfils, in queue order.
type checkoutHolds struct {
	trapped       *domain.Hold
	othersWaiting bool
	mine          *domain.Hold
}

func (t *txn) checkoutHolds(ctx context.Context, it *domain.Item, p *domain.Patron) (checkoutHolds, error) {
	var out checkoutHolds
	rows, err := t.QueryContext(ctx, `SELECT `+holdCols+`, h.status_rank`+holdFrom+`WHERE h.placed=1 AND
		(h.trapped_item=? OR (h.patron_id=? AND h.status_rank<3) OR (h.item_id=? AND h.status_rank=0))
		ORDER BY h.placed_stamp, h.hold_id`, it.ItemID, p.PatronID, it.ItemID)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var rank int
		h, err := scanHold(rankedRow{rows, &rank})
		if err != nil {
			return out, err
		}
		if out.trapped == nil && h.TrappedItem == it.ItemID && (h.Status == domain.HoldInTransit || h.Status == domain.HoldReady) {
			out.trapped = h
		}
		if h.ItemID == it.ItemID && rank == 0 && h.PatronID != p.PatronID {
			out.othersWaiting = true
		}
		if out.mine == nil && h.PatronID == p.PatronID && rank < 3 && (h.TrappedItem == it.ItemID ||
			(h.TrappedItem == "" && (h.ItemID == it.ItemID || (h.ItemID == "" && h.BiblioID == it.BiblioID)))) {
			out.mine = h
		}
	}
	return out, rows.Err()
}

// rankedRow scans a hold's columns followed by its status rank.
type rankedRow struct {
	rows *sql.Rows
	rank *int
}

func (r rankedRow) Scan(dest ...any) error { return r.rows.Scan(append(dest, r.rank)...) }

// overdueFine is what a loan has accrued by now: the days the branch was
// open since the due date, past the grace period, times the daily fine,
// capped per item.
func (t *txn) overdueFine(ctx context.Context, l *domain.Loan, p *domain.Patron, it *domain.Item) (int64, int, error) {
	rule, err := ruleFor(ctx, t, l.BranchID, p.Category, it.ItemType)
	if err != nil {
		return 0, 0, err
	}
	cal, err := t.calendar(ctx, l.BranchID)
	if err != nil {
		return 0, 0, err
	}
	late := cal.lateDays(l.DueDate, t.now)
	return fineFor(rule, late), late, nil
}

func fineFor(r domain.Rule, late int) int64 {
	if late <= 0 || late <= r.GraceDays {
		return 0
	}
	fine := int64(late) * r.FineCents
	if r.MaxFineCents > 0 && fine > r.MaxFineCents {
		fine = r.MaxFineCents
	}
	return fine
}

func (t *txn) charge(ctx context.Context, patronID, kind string, cents int64, loanID, itemID, desc string) (string, error) {
	id := t.s.newID(t.now)
	_, err := t.emit(ctx, KindFeeLines, feeLinesOp{Lines: []feeLine{{LineID: id, PatronID: patronID, Kind: kind, AmountCents: cents,
		LoanID: loanID, ItemID: itemID, Description: desc, CreatedAt: t.stamp(), BranchID: t.s.cfg.Branch}}})
	return id, err
}

// Checkin returns an item: closes its loan, charges any overdue fine, and
// routes it to the hold shelf, to another branch, or back to the shelf.
func (s *Service) Checkin(ctx context.Context, req domain.CheckinRequest) (*domain.CheckinResult, error) {
	var res *domain.CheckinResult
	err := s.update(ctx, func(t *txn) error {
		var err error
		res, err = t.checkin(ctx, req)
		return err
	})
	return res, err
}

func (t *txn) checkin(ctx context.Context, req domain.CheckinRequest) (*domain.CheckinResult, error) {
	it, err := findItem(ctx, t, req.ItemID, req.Barcode)
	if err != nil {
		return nil, err
	}
	here := t.s.cfg.Branch
	res := &domain.CheckinResult{Messages: []string{}}
	loan, err := openLoan(ctx, t, it.ItemID)
	if err != nil {
		return nil, err
	}
	if loan != nil {
		if _, err := t.emit(ctx, KindCheckin, checkinOp{LoanID: loan.LoanID, ItemID: it.ItemID, ReturnedAt: t.stamp(), BranchID: here}); err != nil {
			return nil, err
		}
		if p, err := getPatron(ctx, t, loan.PatronID); err == nil {
			res.Patron = p
			fine, late, err := t.overdueFine(ctx, loan, p, it)
			if err != nil {
				return nil, err
			}
			res.DaysLate = late
			if fine > 0 {
				if _, err := t.charge(ctx, p.PatronID, "overdue", fine, loan.LoanID, it.ItemID,
					"Overdue: "+it.Title+" ("+strconv.Itoa(late)+" days late)"); err != nil {
					return nil, err
				}
				res.FineCents = fine
				res.Messages = append(res.Messages, "Overdue fine of "+domain.Money(fine)+" charged.")
			}
		}
		if res.Loan, err = getLoan(ctx, t, loan.LoanID); err != nil {
			return nil, err
		}
	} else {
		res.Messages = append(res.Messages, "This item was not checked out.")
	}
	if it.BaseStatus == domain.ItemLost || it.BaseStatus == domain.ItemMissing {
		res.Found = true
		if err := t.itemFound(ctx, it); err != nil {
			return nil, err
		}
		res.Messages = append(res.Messages, "This item was recorded as "+it.BaseStatus+"; it is now back in stock.")
	}
	transitTo, err := t.route(ctx, it, res)
	if err != nil {
		return nil, err
	}
	if _, err := t.emit(ctx, KindItemSet, fieldsOp{Key: map[string]any{"item_id": it.ItemID},
		Fields: map[string]any{"location": here, "transit_to": transitTo, "seen_at": t.stamp()}}); err != nil {
		return nil, err
	}
	res.TransitTo = transitTo
	res.Item, err = getItem(ctx, t, it.ItemID)
	return res, err
}

// route decides where a returned item goes: a hold it is already trapped
// for, the next hold in the queue, its home branch, or the shelf. It
// returns the branch the item must travel to, if any.
func (t *txn) route(ctx context.Context, it *domain.Item, res *domain.CheckinResult) (string, error) {
	here := t.s.cfg.Branch
	hold, err := trappedHold(ctx, t, it.ItemID)
	if err != nil {
		return "", err
	}
	if hold == nil {
		if hold, err = t.nextHold(ctx, it); err != nil {
			return "", err
		}
	}
	if hold != nil {
		res.Hold = hold
		if hp, err := getPatron(ctx, t, hold.PatronID); err == nil {
			res.HoldPatron = hp
		}
		if hold.PickupBranch == here {
			res.Action = domain.ActionHoldShelf
			if hold.Status != domain.HoldReady {
				exp, err := t.shelfExpiry(ctx, here)
				if err != nil {
					return "", err
				}
				if _, err := t.emit(ctx, KindHoldStatus, holdStatusOp{HoldID: hold.HoldID, Status: domain.HoldReady, ItemID: it.ItemID, ShelfExpires: exp}); err != nil {
					return "", err
				}
			}
			res.Messages = append(res.Messages, "Put on the hold shelf for "+patronLabel(res.HoldPatron)+".")
		} else {
			res.Action = domain.ActionTransit
			if hold.Status == domain.HoldWaiting {
				if _, err := t.emit(ctx, KindHoldStatus, holdStatusOp{HoldID: hold.HoldID, Status: domain.HoldInTransit, ItemID: it.ItemID}); err != nil {
					return "", err
				}
			}
			res.Messages = append(res.Messages, "Send to "+hold.PickupBranch+" for a hold ("+patronLabel(res.HoldPatron)+").")
		}
		if res.Hold, err = getHold(ctx, t, hold.HoldID); err != nil {
			return "", err
		}
		if res.Action == domain.ActionTransit {
			return hold.PickupBranch, nil
		}
		return "", nil
	}
	if it.HomeBranch != here {
		res.Action = domain.ActionTransit
		res.Messages = append(res.Messages, "Send home to "+it.HomeBranch+".")
		return it.HomeBranch, nil
	}
	res.Action = domain.ActionShelve
	return "", nil
}

func patronLabel(p *domain.Patron) string {
	if p == nil {
		return "a patron"
	}
	return p.Name() + ", card " + p.Cardnumber
}

// nextHold is the first waiting hold, in queue order, this item can fill.
func (t *txn) nextHold(ctx context.Context, it *domain.Item) (*domain.Hold, error) {
	hs, err := queryHolds(ctx, t, fillable+" AND "+activeWaiting,
		it.ItemID, it.BiblioID, t.today(), t.today())
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		p, err := getPatron(ctx, t, h.PatronID)
		if err != nil {
			continue
		}
		rule, err := ruleFor(ctx, t, it.HomeBranch, p.Category, it.ItemType)
		if err != nil {
			return nil, err
		}
		if rule.HoldsAllowed {
			return h, nil
		}
	}
	return nil, nil
}

// shelfExpiry is the last day a hold waits on branch's shelf.
func (t *txn) shelfExpiry(ctx context.Context, branch string) (string, error) {
	days := 7
	if l, err := t.library(ctx, branch); err == nil && l.HoldShelfDays > 0 {
		days = l.HoldShelfDays
	}
	cal, err := t.calendar(ctx, branch)
	if err != nil {
		return "", err
	}
	return cal.dueDate(t.now, days), nil
}

// itemFound puts a lost or missing item back in stock and cancels the
// unpaid part of any lost-item charge.
func (t *txn) itemFound(ctx context.Context, it *domain.Item) error {
	if _, err := t.emit(ctx, KindItemSet, fieldsOp{Key: map[string]any{"item_id": it.ItemID},
		Fields: map[string]any{"base_status": domain.ItemAvailable}}); err != nil {
		return err
	}
	patrons, err := queryStrings(ctx, t, `SELECT DISTINCT patron_id FROM fees WHERE item_id=? AND kind='lost' ORDER BY patron_id`, it.ItemID)
	if err != nil {
		return err
	}
	for _, pid := range patrons {
		acct, err := account(ctx, t, pid)
		if err != nil {
			return err
		}
		var lines []feeLine
		for _, l := range acct.Lines {
			if l.Kind == "lost" && l.ItemID == it.ItemID && l.Outstanding > 0 {
				lines = append(lines, feeLine{LineID: t.s.newID(t.now), PatronID: pid, Kind: "credit", AmountCents: -l.Outstanding,
					AppliesTo: l.LineID, ItemID: it.ItemID, Description: "Item found: lost charge cancelled", CreatedAt: t.stamp(),
					BranchID: t.s.cfg.Branch})
			}
		}
		if len(lines) > 0 {
			if _, err := t.emit(ctx, KindFeeLines, feeLinesOp{Lines: lines, Reason: "item found"}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Renew extends a loan.
func (s *Service) Renew(ctx context.Context, req domain.RenewRequest) (*domain.RenewResult, error) {
	var res *domain.RenewResult
	err := s.update(ctx, func(t *txn) error {
		var err error
		res, err = t.renew(ctx, req)
		return err
	})
	return res, err
}

func (t *txn) renew(ctx context.Context, req domain.RenewRequest) (*domain.RenewResult, error) {
	var loan *domain.Loan
	var err error
	if req.LoanID != "" {
		if loan, err = getLoan(ctx, t, req.LoanID); err != nil {
			return nil, err
		}
		if loan.ReturnedAt != "" {
			return nil, domain.Fail(domain.CodeLoanNotFound, "This loan was already returned.")
		}
	} else {
		it, err := findItem(ctx, t, req.ItemID, req.Barcode)
		if err != nil {
			return nil, err
		}
		if loan, err = openLoan(ctx, t, it.ItemID); err != nil {
			return nil, err
		}
		if loan == nil {
			return nil, domain.Fail(domain.CodeLoanNotFound, "%q is not checked out.", it.Title)
		}
	}
	p, err := getPatron(ctx, t, loan.PatronID)
	if err != nil {
		return nil, err
	}
	it, err := getItem(ctx, t, loan.ItemID)
	if err != nil {
		return nil, err
	}
	refusals, err := t.patronBlocks(ctx, p)
	if err != nil {
		return nil, err
	}
	rule, err := ruleFor(ctx, t, loan.BranchID, p.Category, it.ItemType)
	if err != nil {
		return nil, err
	}
	if loan.Renewals >= rule.Renewals {
		refusals = append(refusals, domain.Refuse(domain.CodeRenewalsExhausted, "%q has been renewed %d times, the most allowed.", it.Title, loan.Renewals))
	}
	waiting, err := queryHolds(ctx, t, "h.patron_id<>? AND "+fillable,
		p.PatronID, it.ItemID, it.BiblioID)
	if err != nil {
		return nil, err
	}
	if len(waiting) > 0 {
		refusals = append(refusals, domain.Refuse(domain.CodeRenewalBlocked, "%q cannot be renewed: another patron is waiting for it.", it.Title))
	}
	ov, err := t.resolveRefusals(ctx, "renewal", refusals, req.Override)
	if err != nil {
		return nil, err
	}
	res := &domain.RenewResult{}
	if ov != nil {
		res.Overridden = ov.Codes
	}
	fine, late, err := t.overdueFine(ctx, loan, p, it)
	if err != nil {
		return nil, err
	}
	if fine > 0 {
		if _, err := t.charge(ctx, p.PatronID, "overdue", fine, loan.LoanID, it.ItemID,
			"Overdue at renewal: "+it.Title+" ("+strconv.Itoa(late)+" days late)"); err != nil {
			return nil, err
		}
		res.FineCents = fine
	}
	cal, err := t.calendar(ctx, t.s.cfg.Branch)
	if err != nil {
		return nil, err
	}
	base := t.now
	if due, err := time.ParseInLocation(domain.DateLayout, loan.DueDate, t.now.Location()); err == nil && due.After(base) {
		base = due
	}
	if _, err := t.emit(ctx, KindRenew, renewOp{LoanID: loan.LoanID, ItemID: loan.ItemID, PatronID: loan.PatronID, RenewalID: t.s.newID(t.now), DueDate: cal.dueDate(base, rule.LoanDays),
		RenewedAt: t.stamp(), BranchID: t.s.cfg.Branch, Override: ov}); err != nil {
		return nil, err
	}
	res.Loan, err = getLoan(ctx, t, loan.LoanID)
	return res, err
}

// DeclareLost records an item as lost. If it is on loan the loan closes and
// the borrower is charged the replacement and processing costs.
func (s *Service) DeclareLost(ctx context.Context, itemID string) (*domain.Item, error) {
	err := s.update(ctx, func(t *txn) error {
		it, err := getItem(ctx, t, itemID)
		if err != nil {
			return err
		}
		if it.BaseStatus == domain.ItemLost {
			return domain.Fail(domain.CodeItemNotAvailable, "%q is already recorded as lost.", it.Title)
		}
		loan, err := openLoan(ctx, t, it.ItemID)
		if err != nil {
			return err
		}
		if loan != nil {
			if _, err := t.emit(ctx, KindCheckin, checkinOp{LoanID: loan.LoanID, ItemID: it.ItemID, ReturnedAt: t.stamp(),
				BranchID: t.s.cfg.Branch, Lost: true}); err != nil {
				return err
			}
			typ, err := getItemType(ctx, t, it.ItemType)
			if err != nil {
				return err
			}
			price := it.PriceCents
			if price == 0 {
				price = typ.ReplacementCents
			}
			if price > 0 {
				if _, err := t.charge(ctx, loan.PatronID, "lost", price, loan.LoanID, it.ItemID, "Lost item: "+it.Title); err != nil {
					return err
				}
			}
			if typ.ProcessingCents > 0 {
				if _, err := t.charge(ctx, loan.PatronID, "processing", typ.ProcessingCents, loan.LoanID, it.ItemID, "Processing fee: "+it.Title); err != nil {
					return err
				}
			}
		}
		_, err = t.emit(ctx, KindItemSet, fieldsOp{Key: map[string]any{"item_id": it.ItemID}, Fields: map[string]any{"base_status": domain.ItemLost}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Item(ctx, itemID)
}

// OpenLoan is an item's open loan, or nil when it is not on loan.
func (s *Service) OpenLoan(ctx context.Context, itemID string) (*domain.Loan, error) {
	return openLoan(ctx, s.hot(), itemID)
}

// Loan returns one loan.
func (s *Service) Loan(ctx context.Context, id string) (*domain.Loan, error) {
	l, err := getLoan(ctx, s.hot(), id)
	if err != nil {
		return nil, err
	}
	l.Overdue = l.ReturnedAt == "" && l.DueDate < s.now().Format(domain.DateLayout)
	return l, nil
}

// PatronLoans lists a patron's loans: open ones, or all with history.
func (s *Service) PatronLoans(ctx context.Context, patronID string, history bool) ([]*domain.Loan, error) {
	q := s.db.Read()
	if _, err := getPatron(ctx, q, patronID); err != nil {
		return nil, err
	}
	ls, err := patronLoans(ctx, q, patronID, history)
	if err != nil {
		return nil, err
	}
	today := s.now().Format(domain.DateLayout)
	for _, l := range ls {
		l.Overdue = l.ReturnedAt == "" && l.DueDate < today
	}
	if ls == nil {
		ls = []*domain.Loan{}
	}
	return ls, nil
}
