package branch

import (
	"context"
	"stacks/branch/domain"
	"strings"
)

// Payment methods.
var paymentMethods = map[string]bool{"cash": true, "card": true, "online": true, "cheque": true, "kiosk": true}

// Pay records a payment, settling the named fee or the oldest fees first.
func (s *Service) Pay(ctx context.Context, patronID string, req domain.PaymentRequest) (*domain.Account, error) {
	if req.Method == "" {
		req.Method = "cash"
	}
	if !paymentMethods[req.Method] {
		return nil, domain.Invalid("Unknown payment type %q.", req.Method)
	}
	return s.settle(ctx, patronID, "payment", req)
}

// Waive forgives part or all of a fee or the balance; a reason is required.
func (s *Service) Waive(ctx context.Context, patronID string, req domain.PaymentRequest) (*domain.Account, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" {
		return nil, domain.Invalid("A waiver needs a reason.")
	}
	if err := domain.CheckText("Reason", req.Reason, 500); err != nil {
		return nil, err
	}
	req.Method = ""
	return s.settle(ctx, patronID, "waiver", req)
}

func (s *Service) settle(ctx context.Context, patronID, kind string, req domain.PaymentRequest) (*domain.Account, error) {
	if req.AmountCents <= 0 || req.AmountCents > 100_000_000 {
		return nil, domain.Fail(domain.CodeBadAmount, "The amount must be more than zero.")
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
		var targets []domain.FeeLine
		for _, l := range acct.Lines {
			if l.Outstanding > 0 && (req.FeeID == "" || l.LineID == req.FeeID) {
				targets = append(targets, l)
				owed += l.Outstanding
			}
		}
		if req.FeeID != "" && len(targets) == 0 {
			return domain.Fail(domain.CodeFeeNotFound, "No outstanding fee %s for this patron.", req.FeeID)
		}
		if req.AmountCents > owed {
			return domain.Fail(domain.CodeBadAmount, "%s is more than the %s owed.", domain.Money(req.AmountCents), domain.Money(owed))
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

var chargeKinds = map[string]bool{"manual": true, "processing": true, "damage": true, "card_replacement": true}

// Charge adds a fee to a patron's account.
func (s *Service) Charge(ctx context.Context, patronID string, req domain.ChargeRequest) (*domain.Account, error) {
	if req.Kind == "" {
		req.Kind = "manual"
	}
	if !chargeKinds[req.Kind] {
		return nil, domain.Invalid("Unknown charge type %q.", req.Kind)
	}
	if req.AmountCents <= 0 || req.AmountCents > 100_000_000 {
		return nil, domain.Fail(domain.CodeBadAmount, "The amount must be more than zero.")
	}
	if strings.TrimSpace(req.Description) == "" {
		return nil, domain.Invalid("A charge needs a description.")
	}
	if err := domain.CheckText("Description", req.Description, 500); err != nil {
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
func (s *Service) Account(ctx context.Context, patronID string) (*domain.Account, error) {
	q := s.db.Read()
	if _, err := getPatron(ctx, q, patronID); err != nil {
		return nil, err
	}
	return account(ctx, q, patronID)
}
