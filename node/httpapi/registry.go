package httpapi

import (
	"net/http"

	"stacks/branch/domain"
)

// pathID returns the path parameter param, checking that the body's field,
// if given, names the same thing.
func pathID(r *http.Request, param, field, body string) (string, error) {
	id := r.PathValue(param)
	if body != "" && body != id {
		return "", badRequest("The body's %s %q does not match %q in the path.", field, body, id)
	}
	return id, nil
}

func (a *API) listLibraries(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ls, err := a.svc.Libraries(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, ls, p))
}

func (a *API) getLibrary(w http.ResponseWriter, r *http.Request) error {
	l, err := a.svc.Library(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (a *API) putLibrary(w http.ResponseWriter, r *http.Request) error {
	var l domain.Library
	if err := decodeBody(r, &l, false); err != nil {
		return err
	}
	id, err := pathID(r, "id", "library_id", l.BranchID)
	if err != nil {
		return err
	}
	l.BranchID = id
	if err := a.svc.SetLibrary(r.Context(), l); err != nil {
		return err
	}
	return a.getLibrary(w, r)
}

func (a *API) listCategories(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	cs, err := a.svc.Categories(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, cs, p))
}

func (a *API) putCategory(w http.ResponseWriter, r *http.Request) error {
	var c domain.Category
	if err := decodeBody(r, &c, false); err != nil {
		return err
	}
	id, err := pathID(r, "id", "category_id", c.Category)
	if err != nil {
		return err
	}
	c.Category = id
	ctx := r.Context()
	if err := a.svc.SetCategory(ctx, c); err != nil {
		return err
	}
	// branch has no single-category query; the list is short.
	cs, err := a.svc.Categories(ctx)
	if err != nil {
		return err
	}
	for _, got := range cs {
		if got.Category == id {
			return writeJSON(w, http.StatusOK, got)
		}
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) listItemTypes(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ts, err := a.svc.ItemTypes(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, ts, p))
}

func (a *API) putItemType(w http.ResponseWriter, r *http.Request) error {
	var t domain.ItemType
	if err := decodeBody(r, &t, false); err != nil {
		return err
	}
	id, err := pathID(r, "id", "item_type_id", t.ItemType)
	if err != nil {
		return err
	}
	t.ItemType = id
	ctx := r.Context()
	if err := a.svc.SetItemType(ctx, t); err != nil {
		return err
	}
	ts, err := a.svc.ItemTypes(ctx)
	if err != nil {
		return err
	}
	for _, got := range ts {
		if got.ItemType == id {
			return writeJSON(w, http.StatusOK, got)
		}
	}
	return writeJSON(w, http.StatusOK, t)
}
