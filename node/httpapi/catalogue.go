package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/search"
	"stacks/node/apitype"
)

// searcher is the search index, opened at the first search when the
// wiring gave none.
func (a *API) searcher(ctx context.Context) (Searcher, error) {
	a.openIdx.Do(func() {
		if a.search == nil {
			a.search, a.idxErr = search.Open(ctx, a.svc, a.lg, a.clock.Now)
		}
	})
	return a.search, a.idxErr
}

// searchQueryOf reads a catalogue search from the query string: q, the
// facets (a facet given more than once, or comma-separated, is an OR),
// sort and paging. isbn=X is kept from the API before search: it is q=X.
func searchQueryOf(r *http.Request, p page) (domain.SearchQuery, error) {
	v := r.URL.Query()
	// A facet's values come as repeated parameters or, for the facets
	// whose values cannot hold one, comma-separated; an author ("Wilder,
	// Laura Ingalls") or a subject ("Cooking, Finnish") is one value.
	list := func(name string) []string {
		var out []string
		for _, s := range v[name] {
			parts := []string{s}
			if name != domain.FacetAuthor && name != domain.FacetSubject {
				parts = strings.Split(s, ",")
			}
			for _, x := range parts {
				if x = strings.TrimSpace(x); x != "" {
					out = append(out, x)
				}
			}
		}
		return out
	}
	q := domain.SearchQuery{Q: strings.TrimSpace(v.Get("q") + " " + v.Get("isbn")), Formats: list(domain.FacetFormat),
		Languages: list(domain.FacetLanguage), AvailableAt: list(domain.FacetAvailableAt), Libraries: list(domain.FacetLibrary),
		Audiences: list(domain.FacetAudience), Authors: list(domain.FacetAuthor), Subjects: list(domain.FacetSubject),
		Sort: v.Get("sort"), Page: p.num, PerPage: p.size}
	for _, d := range list(domain.FacetDecade) {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 3000 {
			return q, badRequest("decade must be a year such as 1990, not %q.", d)
		}
		q.Decades = append(q.Decades, n)
	}
	return q, nil
}

// listBiblios searches the catalogue: works (editions and formats grouped)
// with their availability, the total and the facet counts.
func (a *API) listBiblios(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	q, err := searchQueryOf(r, p)
	if err != nil {
		return err
	}
	x, err := a.searcher(r.Context())
	if err != nil {
		return err
	}
	res, err := x.Search(r.Context(), q)
	if err != nil {
		return err
	}
	// A patron's search (an app, or the anonymous API; not the desk's)
	// is counted, on its first page; its nonce, for GET
	// /api/v1/biblios/{id}?from=, rides in a header.
	if ch := domain.ActorFrom(r.Context()).Channel; a.searches != nil && p.num == 1 && searched(q) &&
		(ch == domain.ChannelApp || ch == domain.ChannelAPI || ch == domain.ChannelWeb) {
		w.Header().Set(SearchIDHeader, a.searches.Search(string(ch)))
	}
	return writeJSON(w, http.StatusOK, res)
}

// SearchIDHeader names the search a GET /api/v1/biblios answered, for
// the client to pass back as from= when it opens one of its titles (or
// places a hold on one), so the search counts as successful. It is a
// random token kept in memory for two hours, naming no one.
const SearchIDHeader = "Stacks-Search-Id"

// SearchCounter counts searches and their success (node wires
// branch/insight's Searches, bound to the node's branch).
type SearchCounter interface {
	Search(channel string) string
	Success(nonce string) bool
}

// searched is whether q asks for anything (a term or a facet).
func searched(q domain.SearchQuery) bool {
	return q.Q != "" || len(q.Formats)+len(q.Languages)+len(q.AvailableAt)+len(q.Libraries)+len(q.Audiences)+len(q.Decades)+
		len(q.Authors)+len(q.Subjects) > 0
}

// searchSuccess counts the search named by the request's from=, if any.
func (a *API) searchSuccess(r *http.Request) {
	if from := r.URL.Query().Get("from"); from != "" && a.searches != nil && len(from) <= 64 {
		a.searches.Success(from)
	}
}

// biblioEditions lists every edition and format of a title's work.
func (a *API) biblioEditions(w http.ResponseWriter, r *http.Request) error {
	x, err := a.searcher(r.Context())
	if err != nil {
		return err
	}
	eds, err := x.Editions(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, eds)
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
	a.searchSuccess(r)
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
