package httpapi

import (
	"net/http"
	"net/url"

	"stacks/branch/domain"
)

// listHolds is GET /holds?patron_id=X (a patron's active holds) or
// ?biblio_id=X (a title's queue).
func (a *API) listHolds(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	var hs []*domain.Hold
	switch {
	case q.Get("patron_id") != "":
		hs, err = a.svc.PatronHolds(ctx, q.Get("patron_id"))
	case q.Get("biblio_id") != "":
		if _, err := a.svc.Biblio(ctx, q.Get("biblio_id")); err != nil {
			return err
		}
		hs, err = a.svc.TitleQueue(ctx, q.Get("biblio_id"))
	default:
		return badRequest("Give a patron_id or a biblio_id.")
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, hs, p))
}

func (a *API) placeHold(w http.ResponseWriter, r *http.Request) error {
	var req domain.HoldRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	h, err := a.svc.PlaceHold(r.Context(), req)
	if err != nil {
		return err
	}
	noteSubject(r.Context(), h.PatronID, h.ItemID)
	a.searchSuccess(r)
	return created(w, "/api/v1/holds/"+url.PathEscape(h.HoldID), h)
}

func (a *API) getHold(w http.ResponseWriter, r *http.Request) error {
	h, err := a.svc.Hold(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	noteSubject(r.Context(), h.PatronID, h.ItemID)
	return writeJSON(w, http.StatusOK, h)
}

// cancelHold is DELETE /holds/{id}?reason=...; it answers with the
// cancelled hold.
func (a *API) cancelHold(w http.ResponseWriter, r *http.Request) error {
	h, err := a.svc.CancelHold(r.Context(), r.PathValue("id"), r.URL.Query().Get("reason"))
	if err != nil {
		return err
	}
	noteSubject(r.Context(), h.PatronID, h.ItemID)
	return writeJSON(w, http.StatusOK, h)
}

func (a *API) holdShelf(w http.ResponseWriter, r *http.Request) error {
	s, err := a.svc.HoldShelf(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

func (a *API) expireHolds(w http.ResponseWriter, r *http.Request) error {
	if err := decodeBody(r, &struct{}{}, true); err != nil {
		return err
	}
	hs, err := a.svc.ExpireHolds(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(hs))
}
