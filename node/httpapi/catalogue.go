package httpapi

import (
	"net/http"
	"net/url"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/node/apitype"
)

// biblioSearchMax is the most titles one branch.SearchBiblios call returns.
const biblioSearchMax = 500

func (a *API) listBiblios(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	term, isbn := q.Get("q"), q.Get("isbn")
	out := []*domain.Biblio{}
	for off, left := p.offset(), p.size; left > 0; {
		n := min(left, biblioSearchMax)
		bs, err := a.svc.SearchBiblios(r.Context(), term, isbn, n, off)
		if err != nil {
			return err
		}
		out = append(out, bs...)
		if len(bs) < n {
			break
		}
		off, left = off+n, left-n
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) addBiblio(w http.ResponseWriter, r *http.Request) error {
	var nb domain.NewBiblio
	if err := decodeBody(r, &nb, false); err != nil {
		return err
	}
	b, err := a.svc.AddBiblio(r.Context(), nb)
	if err != nil {
		return err
	}
	return created(w, "/api/v1/biblios/"+url.PathEscape(b.BiblioID), b)
}

func (a *API) getBiblio(w http.ResponseWriter, r *http.Request) error {
	b, err := a.svc.Biblio(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

func (a *API) putBiblio(w http.ResponseWriter, r *http.Request) error {
	var nb domain.NewBiblio
	if err := decodeBody(r, &nb, false); err != nil {
		return err
	}
	b, err := a.svc.UpdateBiblio(r.Context(), r.PathValue("id"), nb)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

func (a *API) biblioItems(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("id")
	if _, err := a.svc.Biblio(ctx, id); err != nil {
		return err
	}
	items, err := a.svc.Items(ctx, branch.ItemFilter{BiblioID: id, Limit: p.size, Offset: p.offset()})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(items))
}

func (a *API) biblioAvailability(w http.ResponseWriter, r *http.Request) error {
	av, err := a.svc.Availability(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, av)
}

func (a *API) biblioHolds(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("id")
	if _, err := a.svc.Biblio(ctx, id); err != nil {
		return err
	}
	hs, err := a.svc.TitleQueue(ctx, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, hs, p))
}

func (a *API) listItems(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, err := a.svc.Items(r.Context(), branch.ItemFilter{Status: q.Get("status"), BiblioID: q.Get("biblio_id"),
		Branch: q.Get("library_id"), Barcode: q.Get("barcode"), ItemType: q.Get("item_type_id"), TransitTo: q.Get("transit_to"),
		Limit: p.size, Offset: p.offset()})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(items))
}

func (a *API) addItem(w http.ResponseWriter, r *http.Request) error {
	var ni domain.NewItem
	if err := decodeBody(r, &ni, false); err != nil {
		return err
	}
	it, err := a.svc.AddItem(r.Context(), ni)
	if err != nil {
		return err
	}
	return created(w, "/api/v1/items/"+url.PathEscape(it.ItemID), it)
}

func (a *API) getItem(w http.ResponseWriter, r *http.Request) error {
	it, err := a.svc.Item(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, it)
}

func (a *API) patchItem(w http.ResponseWriter, r *http.Request) error {
	var u domain.ItemUpdate
	if err := decodeBody(r, &u, false); err != nil {
		return err
	}
	it, err := a.svc.UpdateItem(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, it)
}

// putItemProperties sets what a copy is made of ("DVD 2 discs, booklet"),
// which kiosks show at checkout and checkin: desk staff and kiosks may,
// without the right to edit the rest of the item.
func (a *API) putItemProperties(w http.ResponseWriter, r *http.Request) error {
	var body apitype.ItemPropertiesRequest
	if err := decodeBody(r, &body, false); err != nil {
		return err
	}
	if body.Properties == nil {
		return badRequest("properties is required (an empty string clears them).")
	}
	it, err := a.svc.UpdateItem(r.Context(), r.PathValue("id"), domain.ItemUpdate{Properties: body.Properties})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, it)
}

func (a *API) itemLost(w http.ResponseWriter, r *http.Request) error {
	if err := decodeBody(r, &struct{}{}, true); err != nil {
		return err
	}
	it, err := a.svc.DeclareLost(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, it)
}
