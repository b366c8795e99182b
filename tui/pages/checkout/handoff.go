package checkout

import (
	"context"
	"fmt"
	"strings"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// A handoff code in the card field: the patron made it on the web or in
// an app. It is used once; "pick up my ready holds" checks out every hold
// ready here at once (the lines show them), "pay at the desk" opens the
// patron with their balance to take, "log me in" opens the patron.

// redeem uses a code typed or scanned where a card is expected.
func redeem(ctx context.Context, api API, code string) PatronLoadedMsg {
	res, err := api.RedeemHandoff(ctx, code)
	if err != nil {
		return PatronLoadedMsg{Card: "handoff code", Err: err}
	}
	st, err := api.PatronStatus(ctx, res.Patron.PatronID)
	return PatronLoadedMsg{Card: res.Patron.Cardnumber, Status: st, Err: err, Handoff: res}
}

// applyHandoff shows what a redeemed code did.
func (m *Model) applyHandoff(h *apitype.HandoffResult) {
	switch h.Intent {
	case "pickup_holds":
		lent := 0
		for _, p := range h.Pickups {
			l := line{title: p.Title}
			if p.Checkout != nil {
				l.barcode, l.due = p.Checkout.Barcode, p.Checkout.DueDate
				lent++
			} else if p.Refusal != nil {
				l.err = &domain.Error{Code: domain.Code(p.Refusal.Code), Message: p.Refusal.Detail}
			}
			m.lines = append(m.lines, l)
		}
		if len(h.Pickups) == 0 {
			m.setFlash("Handoff code: no holds are ready here for this patron.", false)
		} else {
			m.setFlash(fmt.Sprintf("Handoff code: %d ready hold(s) checked out.", lent), false)
		}
	case "pay_at_desk":
		bal := int64(0)
		if h.Account != nil {
			bal = h.Account.BalanceCents
		}
		m.setFlash("Handoff code: the patron wants to pay "+domain.Money(bal)+" at the desk.", false)
	default:
		m.setFlash("Handoff code: "+strings.ReplaceAll(h.Intent, "_", " ")+".", false)
	}
}
