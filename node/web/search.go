package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"stacks/branch/domain"
)

// The search page asks the catalogue's index (Config.Catalogue) with the
// parameters of GET /api/v1/biblios: q, each facet by its name (given
// more than once, or comma-separated, it is an OR; different facets are
// an AND), sort and page. Only an author or a subject is never split at
// commas ("Wilder, Laura"). It shows one result per work with the work's
// formats and editions, the facet values with their counts as check boxes
// in one GET form (so they work with JavaScript off), the active filters
// each with a link that removes it, a sort, and pages.

type searchData struct {
	Query string
	// Searched: a search or a filter was given (else only the form).
	Searched bool
	Works    []workRow
	Total    int
	Page     int
	Prev     string
	Next     string
	Sort     string
	Sorts    []option
	Facets   []facetGroup
	Active   []activeFilter
	// Clear is the search without any filter.
	Clear string
}

// First is the number of the page's first result.
func (d searchData) First() int { return (d.Page-1)*searchPageSize + 1 }

type option struct{ Value, Label string }

// workRow is one result: a work and its editions.
type workRow struct {
	Title       string
	Author      string
	Link        string // the title page of its best edition
	Formats     []string
	Editions    []editionRow
	AvailableAt []string
	Online      bool
}

type editionRow struct {
	Link, Title, Format string
	Year                int
}

type facetGroup struct {
	Name, Label string
	Values      []facetValue
}

type facetValue struct {
	ID, Value, Label string
	Count            int
	Selected         bool
}

type activeFilter struct{ Label, Remove string }

const searchPageSize = 20

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func (s *Server) home(w http.ResponseWriter, r *http.Request, rq *request) {
	s.render(w, r, rq, http.StatusOK, "home", s.brand.Name, nil, nil, nil)
}

// searchParams reads the search from the query string: the words, each
// facet's values, the sort and the page.
type searchParams struct {
	q      string
	facets map[string][]string
	sort   string
	page   int
}

func (sp searchParams) values(page int) url.Values {
	v := url.Values{}
	if sp.q != "" {
		v.Set("q", sp.q)
	}
	for _, f := range domain.FacetNames {
		for _, x := range sp.facets[f] {
			v.Add(f, x)
		}
	}
	if sp.sort != "" {
		v.Set("sort", sp.sort)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

func (sp searchParams) href(page int) string { return "/search?" + sp.values(page).Encode() }

// without is the search with one facet value removed (from page 1).
func (sp searchParams) without(facet, value string) string {
	v := sp.values(1)
	v.Del(facet)
	for _, x := range sp.facets[facet] {
		if x != value {
			v.Add(facet, x)
		}
	}
	return "/search?" + v.Encode()
}

func (sp searchParams) filtered() bool {
	for _, vs := range sp.facets {
		if len(vs) > 0 {
			return true
		}
	}
	return false
}

func readSearch(v url.Values) (searchParams, string) {
	sp := searchParams{q: strings.TrimSpace(v.Get("q")), facets: map[string][]string{}, sort: v.Get("sort"), page: 1}
	if len(sp.q) > 200 {
		return sp, "search.too_long"
	}
	if sp.sort != "" && !slices.Contains(domain.SearchSorts, sp.sort) {
		return sp, "search.bad_sort"
	}
	for _, f := range domain.FacetNames {
		for _, s := range v[f] {
			parts := []string{s}
			if f != domain.FacetAuthor && f != domain.FacetSubject {
				parts = strings.Split(s, ",") // names and subjects hold commas
			}
			for _, x := range parts {
				if x = strings.TrimSpace(x); x != "" && len(x) <= 200 && !slices.Contains(sp.facets[f], x) {
					sp.facets[f] = append(sp.facets[f], x)
				}
			}
		}
		if len(sp.facets[f]) > 50 {
			return sp, "search.too_long"
		}
	}
	for _, d := range sp.facets[domain.FacetDecade] {
		if n, err := strconv.Atoi(d); err != nil || n < 0 || n > 3000 {
			return sp, "search.bad_decade"
		}
	}
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1000 {
			return sp, "search.bad_page"
		}
		sp.page = n
	}
	return sp, ""
}

func (sp searchParams) query() domain.SearchQuery {
	q := domain.SearchQuery{Q: sp.q, Formats: sp.facets[domain.FacetFormat], Languages: sp.facets[domain.FacetLanguage],
		AvailableAt: sp.facets[domain.FacetAvailableAt], Libraries: sp.facets[domain.FacetLibrary], Audiences: sp.facets[domain.FacetAudience],
		Authors: sp.facets[domain.FacetAuthor], Subjects: sp.facets[domain.FacetSubject], Sort: sp.sort, Page: sp.page, PerPage: searchPageSize}
	for _, d := range sp.facets[domain.FacetDecade] {
		n, _ := strconv.Atoi(d)
		q.Decades = append(q.Decades, n)
	}
	return q
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, rq *request) {
	sp, bad := readSearch(r.URL.Query())
	if bad != "" {
		s.fail(w, r, rq, http.StatusBadRequest, rq.p.T(bad))
		return
	}
	d := searchData{Query: sp.q, Page: sp.page, Sort: sp.sort, Searched: sp.q != "" || sp.filtered()}
	for _, so := range domain.SearchSorts {
		d.Sorts = append(d.Sorts, option{Value: so, Label: rq.p.T("search.sort." + so)})
	}
	if d.Searched {
		var err error
		if s.idx != nil {
			err = s.searchIndex(rq, sp, &d)
		} else {
			err = s.searchPlain(rq, sp, &d)
		}
		if err != nil {
			s.failErr(w, r, rq, err)
			return
		}
	}
	if d.Searched && s.cfg.Searches != nil {
		s.markSearch(r, sp, &d)
	}
	title := rq.p.T("search.title")
	if sp.q != "" {
		title = rq.p.T("search.title_for", sp.q)
	}
	s.render(w, r, rq, http.StatusOK, "search", title, d, nil, nil)
}

// markSearch counts a search (its first page, or a later page reached
// without the search's nonce) and has the result links carry its nonce
// (from=), the pages' links too (sid=), so a title view from any page of
// it counts the search as successful once.
func (s *Server) markSearch(r *http.Request, sp searchParams, d *searchData) {
	nonce := r.URL.Query().Get("sid")
	if sp.page == 1 || !validNonce(nonce) {
		nonce = s.cfg.Searches.Search(string(domain.ChannelWeb))
	}
	for i := range d.Works {
		w := &d.Works[i]
		if w.Link != "" {
			w.Link += "?from=" + nonce
		}
		for j := range w.Editions {
			w.Editions[j].Link += "?from=" + nonce
		}
	}
	if d.Next != "" {
		d.Next += "&sid=" + nonce
	}
	if d.Prev != "" {
		d.Prev += "&sid=" + nonce
	}
}

// validNonce is whether v looks like a search nonce (hex, short).
func validNonce(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for _, c := range v {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// libNames maps branch IDs to names.
func (s *Server) libNames(rq *request) map[string]string {
	names := map[string]string{}
	if libs, err := s.lib.Libraries(rq.ctx); err == nil {
		for _, l := range libs {
			names[l.BranchID] = l.Name
		}
	}
	return names
}

// facetLabel is how the page names a facet's value.
func facetLabel(p printer, names map[string]string, facet, v string) string {
	switch facet {
	case domain.FacetFormat:
		return p.T("format." + v)
	case domain.FacetLanguage:
		return p.Label("language.", v)
	case domain.FacetAvailableAt, domain.FacetLibrary:
		if n := names[v]; n != "" {
			return n
		}
		return v
	case domain.FacetAudience:
		return p.Label("audience.", v)
	case domain.FacetDecade:
		return p.T("search.decade", v)
	}
	return v
}

func (s *Server) searchIndex(rq *request, sp searchParams, d *searchData) error {
	res, err := s.idx.Search(rq.ctx, sp.query())
	if err != nil {
		return err
	}
	names := s.libNames(rq)
	d.Total = res.Total
	for _, wk := range res.Works {
		row := workRow{Title: wk.Title, Author: wk.Author, Online: wk.Online}
		for _, f := range wk.Formats {
			row.Formats = append(row.Formats, rq.p.T("format."+f))
		}
		for _, b := range wk.AvailableAt {
			row.AvailableAt = append(row.AvailableAt, facetLabel(rq.p, names, domain.FacetAvailableAt, b))
		}
		for _, e := range wk.Editions {
			row.Editions = append(row.Editions, editionRow{Link: "/titles/" + url.PathEscape(e.BiblioID), Title: e.Title,
				Format: rq.p.T("format." + e.Format), Year: e.Year})
		}
		if len(row.Editions) > 0 {
			row.Link = row.Editions[0].Link
		}
		d.Works = append(d.Works, row)
	}
	for i, f := range domain.FacetNames {
		g := facetGroup{Name: f, Label: rq.p.T("facet." + f)}
		for j, v := range res.Facets[f] {
			g.Values = append(g.Values, facetValue{ID: "f" + strconv.Itoa(i) + "-" + strconv.Itoa(j), Value: v.Value,
				Label: facetLabel(rq.p, names, f, v.Value), Count: v.Count, Selected: v.Selected})
		}
		// A selected value the results no longer have is still shown, so
		// it can be removed.
		for _, x := range sp.facets[f] {
			if !slices.ContainsFunc(g.Values, func(v facetValue) bool { return v.Value == x }) {
				g.Values = append(g.Values, facetValue{ID: "f" + strconv.Itoa(i) + "-" + strconv.Itoa(len(g.Values)), Value: x,
					Label: facetLabel(rq.p, names, f, x), Selected: true})
			}
		}
		if len(g.Values) > 0 {
			d.Facets = append(d.Facets, g)
		}
		for _, x := range sp.facets[f] {
			d.Active = append(d.Active, activeFilter{Label: g.Label + ": " + facetLabel(rq.p, names, f, x), Remove: sp.without(f, x)})
		}
	}
	if len(d.Active) > 0 {
		d.Clear = searchParams{q: sp.q, sort: sp.sort}.href(1)
	}
	if sp.page*searchPageSize < res.Total {
		d.Next = sp.href(sp.page + 1)
	}
	if sp.page > 1 {
		d.Prev = sp.href(sp.page - 1)
	}
	return nil
}

// searchPlain is the search without an index: titles, one result each,
// no facets.
func (s *Server) searchPlain(rq *request, sp searchParams, d *searchData) error {
	if sp.q == "" {
		return nil
	}
	res, err := s.srch.SearchBiblios(rq.ctx, sp.q, "", searchPageSize+1, (sp.page-1)*searchPageSize)
	if err != nil {
		return err
	}
	if len(res) > searchPageSize {
		res = res[:searchPageSize]
		d.Next = sp.href(sp.page + 1)
	}
	if sp.page > 1 {
		d.Prev = sp.href(sp.page - 1)
	}
	for _, b := range res {
		e := editionRow{Link: "/titles/" + url.PathEscape(b.BiblioID), Title: b.Title, Format: rq.p.T("format." + b.Format), Year: b.Year}
		d.Works = append(d.Works, workRow{Title: b.Title, Author: strings.Join(b.Authors, "; "), Link: e.Link,
			Formats: []string{e.Format}, Editions: []editionRow{e}})
	}
	d.Total = (sp.page-1)*searchPageSize + len(res)
	return nil
}
