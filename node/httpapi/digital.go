package httpapi

import (
	"net/http"
	"strings"

	"stacks/branch/digital"
	"stacks/branch/domain"
)

// Digital lending (branch/digital): licences of digital titles, loans
// granted under them, renewals, early returns and holds. On a branch in a
// cluster each request is decided by the central site; a branch cut off
// from it answers 503 digital_lending_unavailable, in the patron's
// language (Accept-Language: English or Finnish).

func (a *API) digitalRoutes() {
	a.handle("GET /api/v1/biblios/{id}/licences", a.listLicences)
	a.handle("POST /api/v1/biblios/{id}/licences", a.addLicence)
	a.handle("GET /api/v1/biblios/{id}/digital_holds", a.digitalQueue, paged...)
	a.handle("POST /api/v1/digital_checkouts", a.digitalCheckout)
	a.handle("GET /api/v1/digital_checkouts/{id}", a.getDigitalCheckout)
	a.handle("POST /api/v1/digital_checkouts/{id}/renewal", a.digitalRenew)
	a.handle("POST /api/v1/digital_checkouts/{id}/return", a.digitalReturn)
	a.handle("POST /api/v1/digital_holds", a.digitalHold)
	a.handle("GET /api/v1/digital_holds/{id}", a.getDigitalHold)
	a.handle("DELETE /api/v1/digital_holds/{id}", a.cancelDigitalHold)
	a.handle("GET /api/v1/patrons/{id}/digital_holds", a.patronDigitalHolds, paged...)
}

// lang is the language of the patron-facing texts: Finnish when the
// request prefers it, else English.
func lang(r *http.Request) string { return digital.Lang(r.Header.Get("Accept-Language")) }

// patronOnly keeps a patron's request to their own account: the digital
// decision checks the loan or hold named belongs to the patron given.
func patronOnly(r *http.Request, req *domain.DigitalRequest) {
	if who := domain.ActorFrom(r.Context()); who.Role == domain.RolePatron {
		req.PatronID, req.Cardnumber = strings.TrimPrefix(who.ID, patronActorID("")), ""
	}
}

func (a *API) listLicences(w http.ResponseWriter, r *http.Request) error {
	ls, err := a.digital.Licences(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ls)
}

func (a *API) addLicence(w http.ResponseWriter, r *http.Request) error {
	var nl domain.NewLicence
	if err := decodeBody(r, &nl, false); err != nil {
		return err
	}
	if nl.BiblioID != "" && nl.BiblioID != r.PathValue("id") {
		return domain.Invalid("The licence names title %s but the path %s.", nl.BiblioID, r.PathValue("id"))
	}
	nl.BiblioID = r.PathValue("id")
	res, err := a.digital.AddLicence(r.Context(), nl)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, res)
}

func (a *API) digitalQueue(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	hs, err := a.digital.Queue(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, hs, p))
}

func (a *API) digitalCheckout(w http.ResponseWriter, r *http.Request) error {
	var req domain.DigitalRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.BiblioID == "" {
		return domain.Invalid("Name the digital title to borrow (biblio_id).")
	}
	req.LoanID, req.HoldID = "", ""
	noteSubject(r.Context(), req.PatronID, "")
	res, err := a.digital.Borrow(r.Context(), req, lang(r))
	if err != nil {
		return err
	}
	noteSubject(r.Context(), res.Loan.PatronID, "")
	return writeJSON(w, http.StatusCreated, res)
}

func (a *API) getDigitalCheckout(w http.ResponseWriter, r *http.Request) error {
	l, err := a.digital.Loan(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	noteSubject(r.Context(), l.PatronID, "")
	return writeJSON(w, http.StatusOK, l)
}

func (a *API) digitalLoanRequest(r *http.Request) domain.DigitalRequest {
	req := domain.DigitalRequest{LoanID: r.PathValue("id")}
	patronOnly(r, &req)
	return req
}

func (a *API) digitalRenew(w http.ResponseWriter, r *http.Request) error {
	if err := decodeBody(r, &struct{}{}, true); err != nil {
		return err
	}
	res, err := a.digital.Renew(r.Context(), a.digitalLoanRequest(r), lang(r))
	if err != nil {
		return err
	}
	noteSubject(r.Context(), res.Loan.PatronID, "")
	return writeJSON(w, http.StatusOK, res)
}

func (a *API) digitalReturn(w http.ResponseWriter, r *http.Request) error {
	if err := decodeBody(r, &struct{}{}, true); err != nil {
		return err
	}
	res, err := a.digital.Return(r.Context(), a.digitalLoanRequest(r), lang(r))
	if err != nil {
		return err
	}
	noteSubject(r.Context(), res.Loan.PatronID, "")
	return writeJSON(w, http.StatusOK, res)
}

func (a *API) digitalHold(w http.ResponseWriter, r *http.Request) error {
	var req domain.DigitalRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.BiblioID == "" {
		return domain.Invalid("Name the digital title to reserve (biblio_id).")
	}
	req.LoanID, req.HoldID = "", ""
	res, err := a.digital.PlaceHold(r.Context(), req, lang(r))
	if err != nil {
		return err
	}
	noteSubject(r.Context(), res.Hold.PatronID, "")
	return writeJSON(w, http.StatusCreated, res)
}

func (a *API) getDigitalHold(w http.ResponseWriter, r *http.Request) error {
	h, err := a.digital.Hold(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	noteSubject(r.Context(), h.PatronID, "")
	return writeJSON(w, http.StatusOK, h)
}

func (a *API) cancelDigitalHold(w http.ResponseWriter, r *http.Request) error {
	req := domain.DigitalRequest{HoldID: r.PathValue("id")}
	patronOnly(r, &req)
	res, err := a.digital.CancelHold(r.Context(), req, lang(r))
	if err != nil {
		return err
	}
	noteSubject(r.Context(), res.Hold.PatronID, "")
	return writeJSON(w, http.StatusOK, res)
}

func (a *API) patronDigitalHolds(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	if _, err := a.svc.Patron(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	hs, err := a.digital.PatronHolds(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, hs, p))
}
