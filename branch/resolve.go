package branch

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"stacks/branch/domain"
	"strings"
)

func scanConflict(row interface{ Scan(...any) error }) (*domain.Conflict, error) {
	var c domain.Conflict
	var args, details, resolution string
	if err := row.Scan(&c.ConflictID, &c.Kind, &args, &details, &c.Status, &resolution); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(args), &c.Args)
	c.Details = json.RawMessage(details)
	if resolution != "" {
		c.Resolution = json.RawMessage(resolution)
	}
	c.Summary = summary(&c)
	return &c, nil
}

func summary(c *domain.Conflict) string {
	var d map[string]any
	json.Unmarshal(c.Details, &d)
	switch c.Kind {
	case domain.ConflictDoubleLoan:
		n := 0
		if l, ok := d["checkouts"].([]any); ok {
			n = len(l)
		}
		return "One item was checked out " + itoa(n) + " times at once by branches that could not see each other."
	case domain.ConflictDuplicateCard:
		return "Two patrons were registered with card number " + strings.Join(c.Args, "") + "."
	case domain.ConflictLoanLimit:
		return "A patron has more items on loan, across branches, than the limit allows."
	case domain.ConflictOverpayment:
		return "A fee was paid more than once; the patron is owed a credit."
	case domain.ConflictDoubleTrap:
		return "Two copies were set aside for one hold; the earlier stands and the other is released."
	}
	return c.Kind
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// Conflicts lists the conflicts queue; status "" lists all, else "open" or
// "resolved".
func (s *Service) Conflicts(ctx context.Context, status string) ([]*domain.Conflict, error) {
	q := `SELECT conflict_id, kind, subject, details, status, resolution FROM conflicts`
	var args []any
	if status != "" {
		q += ` WHERE status=?`
		args = append(args, status)
	}
	rows, err := s.db.Read().QueryContext(ctx, q+` ORDER BY conflict_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*domain.Conflict{}
	for rows.Next() {
		c, err := scanConflict(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// NameConflictPatrons sets the Patrons of each conflict to the patrons its
// details name (a double loan's borrowers, the holders of a duplicate
// card, the patron over a limit or owed a credit), read in one query, so
// a client shows them without reading each patron.
func (s *Service) NameConflictPatrons(ctx context.Context, cs []*domain.Conflict) error {
	named := make([][]string, len(cs))
	var all []string
	for i, c := range cs {
		var d map[string]json.RawMessage
		json.Unmarshal(c.Details, &d)
		if inner, ok := d["conflict"]; ok { // a resolved conflict keeps its details under "conflict"
			d = nil
			json.Unmarshal(inner, &d)
		}
		var one string
		var many []string
		var loans []struct {
			PatronID string `json:"patron_id"`
		}
		json.Unmarshal(d["patron_id"], &one)
		json.Unmarshal(d["patron_ids"], &many)
		json.Unmarshal(d["checkouts"], &loans) // a number for loan_limit: stays empty
		if one != "" {
			many = append(many, one)
		}
		for _, l := range loans {
			many = append(many, l.PatronID)
		}
		seen := map[string]bool{}
		for _, id := range many {
			if id != "" && !seen[id] {
				seen[id] = true
				named[i] = append(named[i], id)
			}
		}
		all = append(all, named[i]...)
	}
	if len(all) == 0 {
		return nil
	}
	list, err := json.Marshal(all)
	if err != nil {
		return err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT patron_id, firstname, surname, cardnumber, home_branch FROM patrons
		WHERE patron_id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return err
	}
	defer rows.Close()
	found := map[string]domain.ConflictPatron{}
	for rows.Next() {
		var p domain.Patron
		if err := rows.Scan(&p.PatronID, &p.Firstname, &p.Surname, &p.Cardnumber, &p.HomeBranch); err != nil {
			return err
		}
		found[p.PatronID] = domain.ConflictPatron{PatronID: p.PatronID, Name: strings.TrimSpace(p.Name()), Cardnumber: p.Cardnumber,
			HomeBranch: p.HomeBranch}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i, c := range cs {
		c.Patrons = nil
		for _, id := range named[i] {
			if p, ok := found[id]; ok {
				c.Patrons = append(c.Patrons, p)
			}
		}
	}
	return nil
}

func getConflict(ctx context.Context, q querier, id string) (*domain.Conflict, error) {
	c, err := scanConflict(q.QueryRowContext(ctx, `SELECT conflict_id, kind, subject, details, status, resolution FROM conflicts
		WHERE conflict_id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodeConflictNotFound, "No conflict %s.", id)
	}
	return c, err
}

// Conflict returns one conflict.
func (s *Service) Conflict(ctx context.Context, id string) (*domain.Conflict, error) {
	return getConflict(ctx, s.db.Read(), id)
}

// ResolveConflict carries out a resolution and records it. The resolution is
// an op like any other, so it replicates and every replica closes the same
// conflict.
func (s *Service) ResolveConflict(ctx context.Context, id string, r domain.Resolution) (*domain.Conflict, error) {
	r.Note = strings.TrimSpace(r.Note)
	if err := domain.CheckText("Note", r.Note, 1000); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(t *txn) error {
		c, err := getConflict(ctx, t, id)
		if err != nil {
			return err
		}
		if c.Status == "resolved" {
			return domain.Fail(domain.CodeConflictResolved, "This conflict is already resolved.")
		}
		var d struct {
			Checkouts []loanRef `json:"checkouts"`
			PatronIDs []string  `json:"patron_ids"`
			PatronID  string    `json:"patron_id"`
			LineID    string    `json:"account_line_id"`
			Credit    int64     `json:"credit_cents"`
		}
		json.Unmarshal(c.Details, &d)
		switch r.Action {
		case domain.ActionAcknowledge:
			if r.Note == "" {
				return domain.Invalid("Acknowledging a conflict needs a note.")
			}
		case domain.ActionKeepLoan:
			if c.Kind != domain.ConflictDoubleLoan {
				return domain.Invalid("keep_loan resolves double loans only.")
			}
			found := false
			for _, l := range d.Checkouts {
				found = found || l.LoanID == r.LoanID
			}
			if !found {
				return domain.Invalid("Checkout %s is not part of this conflict.", r.LoanID)
			}
			for _, l := range d.Checkouts {
				if l.LoanID == r.LoanID || l.Returned != "" {
					continue
				}
				var itemID string
				if err := t.QueryRowContext(ctx, `SELECT item_id FROM loans WHERE loan_id=?`, l.LoanID).Scan(&itemID); err != nil {
					return err
				}
				if _, err := t.emit(ctx, KindCheckin, checkinOp{LoanID: l.LoanID, ItemID: itemID, ReturnedAt: t.stamp(), BranchID: t.s.cfg.Branch}); err != nil {
					return err
				}
			}
		case domain.ActionNewCard:
			if c.Kind != domain.ConflictDuplicateCard {
				return domain.Invalid("new_card resolves duplicate card numbers only.")
			}
			found := false
			for _, p := range d.PatronIDs {
				found = found || p == r.PatronID
			}
			if !found {
				return domain.Invalid("Patron %s does not hold this card number.", r.PatronID)
			}
			card, err := newCardnumber(t.s.cfg.Rand)
			if err != nil {
				return err
			}
			if _, err := t.emit(ctx, KindPatronSet, fieldsOp{Key: map[string]any{"patron_id": r.PatronID},
				Fields: map[string]any{"cardnumber": card}, Reason: "duplicate card number"}); err != nil {
				return err
			}
		case domain.ActionRefund:
			if c.Kind != domain.ConflictOverpayment {
				return domain.Invalid("refund resolves overpayments only.")
			}
			method := r.Method
			if method == "" {
				method = "cash"
			}
			if !paymentMethods[method] {
				return domain.Invalid("Unknown payment type %q.", method)
			}
			if _, err := t.emit(ctx, KindFeeLines, feeLinesOp{Lines: []feeLine{{LineID: t.s.newID(t.now), PatronID: d.PatronID, Kind: "refund",
				AmountCents: d.Credit, AppliesTo: d.LineID, Description: "Refund of overpayment", Method: method, CreatedAt: t.stamp(),
				BranchID: t.s.cfg.Branch}}}); err != nil {
				return err
			}
		default:
			return domain.Invalid("Unknown action %q (acknowledge, keep_loan, new_card, refund).", r.Action)
		}
		details, _ := json.Marshal(map[string]any{"conflict": c.Details, "resolution": r})
		_, err = t.emit(ctx, KindConflictResolve, resolveOp{ConflictID: c.ConflictID, Kind: c.Kind, Args: c.Args, Action: r.Action,
			Note: r.Note, Details: details, ResolvedAt: t.stamp()})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Conflict(ctx, id)
}
