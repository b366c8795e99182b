package httpapi

import (
	"net/http"

	"stacks/branch/handoff"
	"stacks/node/apitype"
)

// Handoff codes: a patron makes one in an app (or on the web); the desk or
// a kiosk redeems it.

func (a *API) handoffRoutes() {
	a.handle("POST /api/v1/patron/handoff_codes", a.issueHandoff)
	a.handle("POST /api/v1/handoff_codes/redemption", a.redeemHandoff)
}

func (a *API) issueHandoff(w http.ResponseWriter, r *http.Request) error {
	var req apitype.HandoffRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	c, err := a.handoff.Issue(r.Context(), me(r), req.Intent)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apitype.HandoffCode{Code: c.Code, QR: c.QR, Intent: c.Intent, ExpiresAt: c.ExpiresAt})
}

// redeemHandoff uses a code once and does what it carried: pickup_holds
// checks out the patron's ready holds here; pay_at_desk answers the
// account to take payment for; kiosk_login answers the patron's status.
func (a *API) redeemHandoff(w http.ResponseWriter, r *http.Request) error {
	var req apitype.HandoffRedemption
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	red, err := a.handoff.Redeem(r.Context(), req.Code)
	if err != nil {
		return err
	}
	ctx := r.Context()
	noteSubject(ctx, red.PatronID, "")
	p, err := a.svc.Patron(ctx, red.PatronID)
	if err != nil {
		return err
	}
	res := apitype.HandoffResult{Intent: red.Intent, Patron: p}
	switch red.Intent {
	case handoff.IntentPickupHolds:
		ps, err := a.handoff.PickupReadyHolds(ctx, red.PatronID)
		if err != nil {
			return err
		}
		res.Pickups = []apitype.HandoffPickup{}
		for _, p := range ps {
			hp := apitype.HandoffPickup{HoldID: p.HoldID, Title: p.Title, Checkout: p.Checkout}
			if p.Refusal != nil {
				pr, _ := problemFor(p.Refusal)
				pr.Type, pr.Title = "about:blank", http.StatusText(pr.Status)
				hp.Refusal = &pr
			}
			res.Pickups = append(res.Pickups, hp)
		}
	case handoff.IntentPayAtDesk:
		if res.Account, err = a.svc.Account(ctx, red.PatronID); err != nil {
			return err
		}
	case handoff.IntentKioskLogin:
		if res.Status, err = a.svc.Status(ctx, red.PatronID); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, res)
}
