package httpapi

import (
	"net/http"
	"net/url"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// patronSearchMax is the most matches branch.SearchPatrons returns; it has
// no offset, so pages are cut from its first results.
const patronSearchMax = 500

func (a *API) listPatrons(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	switch q.Get("verified") {
	case "":
	case "false":
		return a.unverifiedPatrons(w, r)
	default:
		return badRequest("verified=false lists the patrons awaiting verification; nothing else is supported.")
	}
	if card := q.Get("cardnumber"); card != "" {
		pt, err := a.svc.PatronByCard(ctx, card)
		if domain.ErrorCode(err) == domain.CodePatronNotFound {
			return writeJSON(w, http.StatusOK, []*domain.Patron{})
		}
		if err != nil {
			return err
		}
		noteSubject(ctx, pt.PatronID, "")
		return writeJSON(w, http.StatusOK, paginate(w, []*domain.Patron{pt}, p))
	}
	end := p.offset() + p.size
	if end > patronSearchMax {
		return badRequest("A patron search shows at most its first %d matches; narrow the search.", patronSearchMax)
	}
	ps, err := a.svc.SearchPatrons(ctx, q.Get("q"), end)
	if err != nil {
		return err
	}
	start := min(p.offset(), len(ps))
	return writeJSON(w, http.StatusOK, nonNil(ps[start:]))
}

func (a *API) addPatron(w http.ResponseWriter, r *http.Request) error {
	var np domain.NewPatron
	if err := decodeBody(r, &np, false); err != nil {
		return err
	}
	pt, err := a.svc.RegisterPatron(r.Context(), np)
	if err != nil {
		return err
	}
	noteSubject(r.Context(), pt.PatronID, "")
	return created(w, "/api/v1/patrons/"+url.PathEscape(pt.PatronID), pt)
}

func (a *API) getPatron(w http.ResponseWriter, r *http.Request) error {
	pt, err := a.svc.Patron(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pt)
}

func (a *API) patchPatron(w http.ResponseWriter, r *http.Request) error {
	var u domain.PatronUpdate
	if err := decodeBody(r, &u, false); err != nil {
		return err
	}
	pt, err := a.svc.UpdatePatron(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pt)
}

func (a *API) patronStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := a.svc.Status(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (a *API) blockPatron(w http.ResponseWriter, r *http.Request) error {
	var b apitype.BlockRequest
	if err := decodeBody(r, &b, false); err != nil {
		return err
	}
	pt, err := a.svc.BlockPatron(r.Context(), r.PathValue("id"), b.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pt)
}

func (a *API) unblockPatron(w http.ResponseWriter, r *http.Request) error {
	pt, err := a.svc.UnblockPatron(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pt)
}

func (a *API) renewCard(w http.ResponseWriter, r *http.Request) error {
	if err := decodeBody(r, &struct{}{}, true); err != nil {
		return err
	}
	pt, err := a.svc.RenewCard(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pt)
}

func (a *API) expireCard(w http.ResponseWriter, r *http.Request) error {
	if err := decodeBody(r, &struct{}{}, true); err != nil {
		return err
	}
	pt, err := a.svc.ExpireCard(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pt)
}

func (a *API) patronCheckouts(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	history, err := boolParam(r, "history")
	if err != nil {
		return err
	}
	ls, err := a.svc.PatronLoans(r.Context(), r.PathValue("id"), history)
	if err != nil {
		return err
	}
	// Digital loans are the patron's loans too, marked digital.
	dls, err := a.digital.PatronLoans(r.Context(), r.PathValue("id"), history)
	if err != nil {
		return err
	}
	for _, dl := range dls {
		l := dl.AsLoan()
		l.Overdue = false // a digital loan returns itself when due
		ls = append(ls, l)
	}
	return writeJSON(w, http.StatusOK, paginate(w, ls, p))
}

func (a *API) patronHolds(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	hs, err := a.svc.PatronHolds(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, hs, p))
}
