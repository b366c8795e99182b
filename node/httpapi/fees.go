package httpapi

import (
	"net/http"

	"stacks/branch/domain"
)

func (a *API) patronAccount(w http.ResponseWriter, r *http.Request) error {
	acct, err := a.svc.Account(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, acct)
}

// fees is GET /fees?patron_id=X: the patron's account.
func (a *API) fees(w http.ResponseWriter, r *http.Request) error {
	id, err := requiredParam(r, "patron_id")
	if err != nil {
		return err
	}
	acct, err := a.svc.Account(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, acct)
}

func (a *API) pay(w http.ResponseWriter, r *http.Request) error {
	var req domain.PaymentRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	acct, err := a.svc.Pay(r.Context(), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	if a.printing != nil && domain.ActorFrom(r.Context()).Channel != domain.ChannelApp {
		a.printing.AfterPayment(r.Context(), r.PathValue("id"), req, acct) // a receipt at the desk, not for a patron's own app
	}
	return writeJSON(w, http.StatusCreated, acct)
}

func (a *API) waive(w http.ResponseWriter, r *http.Request) error {
	var req domain.PaymentRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	acct, err := a.svc.Waive(r.Context(), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, acct)
}

func (a *API) charge(w http.ResponseWriter, r *http.Request) error {
	var req domain.ChargeRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	acct, err := a.svc.Charge(r.Context(), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, acct)
}
