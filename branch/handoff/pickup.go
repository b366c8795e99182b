package handoff

import (
	"context"
	"errors"

	"stacks/branch/domain"
)

// Pickup is one ready hold checked out (or refused) by a "pick up my
// ready holds" code.
type Pickup struct {
	HoldID   string        `json:"hold_id"`
	Title    string        `json:"title"`
	Checkout *domain.Loan  `json:"checkout,omitempty"`
	Refusal  *domain.Error `json:"refusal,omitempty"`
}

// PickupReadyHolds checks out, in one go, every hold of the patron that is
// ready on this branch's hold shelf. A refusal of one (the card blocked,
// too many loans) is reported and does not stop the others.
func (s *Service) PickupReadyHolds(ctx context.Context, patronID string) ([]Pickup, error) {
	holds, err := s.svc.PatronHolds(ctx, patronID)
	if err != nil {
		return nil, err
	}
	out := []Pickup{}
	for _, h := range holds {
		if h.Status != domain.HoldReady || h.PickupBranch != s.svc.Branch() || h.TrappedItem == "" {
			continue
		}
		res, err := s.svc.Checkout(ctx, domain.CheckoutRequest{PatronID: patronID, ItemID: h.TrappedItem})
		var de *domain.Error
		switch {
		case errors.As(err, &de):
			out = append(out, Pickup{HoldID: h.HoldID, Title: h.Title, Refusal: de})
		case err != nil:
			return out, err
		default:
			out = append(out, Pickup{HoldID: h.HoldID, Title: h.Title, Checkout: res.Loan})
		}
	}
	s.invite(ctx, patronID, out)
	return out, nil
}

// invite asks for a survey about the pickup, naming its first loan (the
// pickup stands while that loan is out). It is best effort: a failure
// costs the invitation, never the pickup.
func (s *Service) invite(ctx context.Context, patronID string, ps []Pickup) {
	if s.cfg.Feedback == nil {
		return
	}
	for _, p := range ps {
		if p.Checkout != nil {
			s.cfg.Feedback.Invite(ctx, domain.FeedbackTrigger{PatronID: patronID, Kind: domain.FeedbackHoldPickup, Ref: p.Checkout.LoanID})
			return
		}
	}
}
