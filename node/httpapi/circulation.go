package httpapi

import (
	"net/http"
	"net/url"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

func checkoutLocation(id string) string { return "/api/v1/checkouts/" + url.PathEscape(id) }

func (a *API) checkout(w http.ResponseWriter, r *http.Request) error {
	var req domain.CheckoutRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	res, err := a.svc.Checkout(r.Context(), req)
	if err != nil {
		return err
	}
	noteSubject(r.Context(), res.Loan.PatronID, res.Loan.ItemID)
	out := apitype.Checkout{Loan: res.Loan, Overridden: res.Overridden, HoldFilled: res.HoldFilled}
	if res.Item != nil {
		out.ItemProperties = res.Item.Properties
	}
	if res.Patron != nil {
		out.Cardnumber = res.Patron.Cardnumber
	}
	return created(w, checkoutLocation(res.Loan.LoanID), out)
}

func (a *API) getCheckout(w http.ResponseWriter, r *http.Request) error {
	l, err := a.svc.Loan(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	noteSubject(r.Context(), l.PatronID, l.ItemID)
	return writeJSON(w, http.StatusOK, l)
}

// listCheckouts is GET /checkouts?patron_id=X: the patron's open loans.
func (a *API) listCheckouts(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	id, err := requiredParam(r, "patron_id")
	if err != nil {
		return err
	}
	ls, err := a.svc.PatronLoans(r.Context(), id, false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, ls, p))
}

func (a *API) renewByID(w http.ResponseWriter, r *http.Request) error {
	var body apitype.RenewRequest
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	return a.renew(w, r, domain.RenewRequest{LoanID: r.PathValue("id"), Override: body.Override})
}

// renewByItem renews the loan of an item named by barcode or id.
func (a *API) renewByItem(w http.ResponseWriter, r *http.Request) error {
	var req domain.RenewRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.Barcode == "" && req.ItemID == "" && req.LoanID == "" {
		return badRequest("Give the barcode or item_id of the item to renew.")
	}
	return a.renew(w, r, req)
}

func (a *API) renew(w http.ResponseWriter, r *http.Request, req domain.RenewRequest) error {
	res, err := a.svc.Renew(r.Context(), req)
	if err != nil {
		return err
	}
	noteSubject(r.Context(), res.Loan.PatronID, res.Loan.ItemID)
	return created(w, checkoutLocation(res.Loan.LoanID),
		apitype.Renewal{Loan: res.Loan, FineCents: res.FineCents, Overridden: res.Overridden})
}

func (a *API) checkin(w http.ResponseWriter, r *http.Request) error {
	var req domain.CheckinRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	res, err := a.svc.Checkin(r.Context(), req)
	if err != nil {
		return err
	}
	if res.Item != nil {
		noteSubject(r.Context(), "", res.Item.ItemID)
	}
	if res.Loan != nil {
		noteSubject(r.Context(), res.Loan.PatronID, "")
	}
	res.Messages = nonNil(res.Messages)
	if a.printing != nil {
		a.printing.AfterCheckin(r.Context(), res) // the hold or transit slip, into the spool
	}
	return writeJSON(w, http.StatusOK, res)
}
