package branch

import (
	"context"
	"strings"
)

// Payment methods.
var paymentMethods = map[string]bool{"cash": true, "card": true, "online": true, "cheque": true, "kiosk": true}

// PaymentRequest pays part or all of a patron's balance, or one fee.
type PaymentRequest struct {
	AmountCents int64  `json:"amount_cents"`
	Method      string `json:"payment_type"`
	FeeID       string `json:"account_line_id,omitempty"`
	Reason      string `json:"reason,omitempty"` // waivers only
}

// Pay records a payment, settling the named fee or the oldest fees first.
func (s *Service) Pay(ctx context.Context, patronID string, req PaymentRequest) (*Account, error) {
	if req.Method == "" {
		req.Method = "cash"
	}
	if !paymentMethods[req.Method] {
		return nil, invalid("Unknown payment type %q.", req.Method)
	}
	return s.settle(ctx, patronID, "payment", req)
}

// Waive forgives part or all of a fee or the balance; a reason is required.
func (s *Service) Waive(ctx context.Context, patronID string, req PaymentRequest) (*Account, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" {
		return nil, invalid("A waiver needs a reason.")
	}
	if err := checkText("Reason", req.Reason, 500); err != nil {
		return nil, err
	}
	req.Method = ""
	return s.settle(ctx, patronID, "waiver", req)
}

func (s *Service) settle(ctx context.Context, patronID, kind string, req PaymentRequest) (*Account, error) {
	if req.AmountCents <= 0 || req.AmountCents > 100_000_000 {
		return nil, fail(CodeBadAmount, "The amount must be more than zero.")
	}
	err := s.update(ctx, func(t *txn) error {
		if _, err := getPatron(ctx, t, patronID); err != nil {
			return err
		}
		acct, err := account(ctx, t, patronID)
		if err != nil {
			return err
		}
		var owed int64
		var targets []FeeLine
		for _, l := range acct.Lines {
			if l.Outstanding > 0 && (req.FeeID == "" || l.LineID == req.FeeID) {
				targets = append(targets, l)
				owed += l.Outstanding
			}
		}
		if req.FeeID != "" && len(targets) == 0 {
			return fail(CodeFeeNotFound, "No outstanding fee %s for this patron.", req.FeeID)
		}
		if req.AmountCents > owed {
			return fail(CodeBadAmount, "%s is more than the %s owed.", Money(req.AmountCents), Money(owed))
		}
		left := req.AmountCents
		var lines []feeLine
		desc := "Payment"
		if kind == "waiver" {
			desc = "Waived: " + req.Reason
		}
		for _, l := range targets {
			if left == 0 {
				break
			}
			amt := min(left, l.Outstanding)
			left -= amt
			lines = append(lines, feeLine{LineID: t.s.newID(t.now), PatronID: patronID, Kind: kind, AmountCents: -amt,
				AppliesTo: l.LineID, Description: desc, Method: req.Method, CreatedAt: t.stamp(), BranchID: t.s.cfg.Branch})
		}
		_, err = t.emit(ctx, KindFeeLines, feeLinesOp{Lines: lines, Reason: req.Reason})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Account(ctx, patronID)
}

// ChargeRequest is a manual charge by staff.
type ChargeRequest struct {
	AmountCents int64  `json:"amount_cents"`
	Kind        string `json:"type"`
	Description string `json:"description"`
}

var chargeKinds = map[string]bool{"manual": true, "processing": true, "damage": true, "card_replacement": true}

// Charge adds a fee to a patron's account.
func (s *Service) Charge(ctx context.Context, patronID string, req ChargeRequest) (*Account, error) {
	if req.Kind == "" {
		req.Kind = "manual"
	}
	if !chargeKinds[req.Kind] {
		return nil, invalid("Unknown charge type %q.", req.Kind)
	}
	if req.AmountCents <= 0 || req.AmountCents > 100_000_000 {
		return nil, fail(CodeBadAmount, "The amount must be more than zero.")
	}
	if strings.TrimSpace(req.Description) == "" {
		return nil, invalid("A charge needs a description.")
	}
	if err := checkText("Description", req.Description, 500); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(t *txn) error {
		if _, err := getPatron(ctx, t, patronID); err != nil {
			return err
		}
		_, err := t.charge(ctx, patronID, req.Kind, req.AmountCents, "", "", req.Description)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Account(ctx, patronID)
}

// Account returns a patron's balance and ledger.
func (s *Service) Account(ctx context.Context, patronID string) (*Account, error) {
	q := s.db.Read()
	if _, err := getPatron(ctx, q, patronID); err != nil {
		return nil, err
	}
	return account(ctx, q, patronID)
}
