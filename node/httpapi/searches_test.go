package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"stacks/branch"
	"stacks/branch/insight"
	"stacks/node/httpapi"
)

type boundSearches struct{ s *insight.Searches }

func (b boundSearches) Search(ch string) string   { return b.s.Search("MAIN", ch) }
func (b boundSearches) Success(nonce string) bool { return b.s.Success(nonce) }

// TestSearchSuccessOverTheAPI: a patron's search answers a search ID; a
// title fetched with it counts the search as successful once; the desk's
// searches and later pages are not counted; a hold placed with it
// counts too; the insights report, page
// (en, fi) and CSV show the figures.
func TestSearchSuccessOverTheAPI(t *testing.T) {
	var s *insight.Searches
	f := newFixtureWith(t, fixtureConfig{seed: true, searches: func(svc *branch.Service) httpapi.SearchCounter {
		s = insight.NewSearches(svc, nil, svc.Now)
		return boundSearches{s}
	}})
	r := f.do("GET", "/api/v1/biblios?q=hobbit", nil, asAnon)
	id := r.header.Get(httpapi.SearchIDHeader)
	if r.status != http.StatusOK || id == "" {
		t.Fatalf("search: %d, id %q", r.status, id)
	}
	if f.do("GET", "/api/v1/biblios?q=dune&_page=2", nil, asAnon).header.Get(httpapi.SearchIDHeader) != "" {
		t.Error("a later page counted as a search")
	}
	if f.do("GET", "/api/v1/biblios?q=dune", nil, asClerk).header.Get(httpapi.SearchIDHeader) != "" {
		t.Error("the desk's search counted")
	}
	f.do("GET", "/api/v1/biblios?q=alien", nil, asAnon) // not followed by a view
	// A hold placed from a search's result counts it (once).
	dune := f.do("GET", "/api/v1/biblios?q=dune", nil, asAnon).header.Get(httpapi.SearchIDHeader)
	hold := map[string]any{"patron_id": f.patrons["Alice"].PatronID, "biblio_id": f.biblios["Dune"].BiblioID, "pickup_library_id": "MAIN"}
	f.do("POST", "/api/v1/holds?from="+dune, hold).want(t, http.StatusCreated, nil)
	hobbit := "/api/v1/biblios/" + f.biblios["The Hobbit"].BiblioID
	f.do("GET", hobbit+"?from="+id, nil, asAnon).want(t, http.StatusOK, nil)
	f.do("GET", hobbit+"?from="+id, nil, asAnon).want(t, http.StatusOK, nil) // again
	f.do("GET", hobbit, nil, asAnon).want(t, http.StatusOK, nil)
	if err := s.Flush(f.admin); err != nil {
		t.Fatal(err)
	}
	day := f.svc.Now().Format("2006-01-02")
	q := "?from=" + day + "&to=" + day
	var rep struct {
		Total struct {
			Searches          int      `json:"searches"`
			SearchSuccesses   int      `json:"search_successes"`
			SearchSuccessRate *float64 `json:"search_success_rate"`
		} `json:"total"`
	}
	f.do("GET", "/api/v1/insights"+q, nil, asSuper).want(t, http.StatusOK, &rep)
	if rep.Total.Searches != 3 || rep.Total.SearchSuccesses != 2 || rep.Total.SearchSuccessRate == nil || *rep.Total.SearchSuccessRate != 0.6667 {
		t.Fatalf("report %+v", rep.Total)
	}
	for lang, label := range map[string]string{"en": "Search success", "fi": "Hakujen onnistuminen"} {
		body := string(f.do("GET", "/insights"+q+"&lang="+lang, nil, asSuper).body)
		share := map[string]string{"en": "66.7\u00a0%", "fi": "66,7\u00a0%"}[lang]
		if !strings.Contains(body, label) || !strings.Contains(body, `id="search-success">`+share) {
			t.Errorf("page in %s lacks search success:\n%s", lang, body)
		}
	}
	csv := string(f.do("GET", "/api/v1/insights/counts.csv"+q, nil, asSuper).body)
	if !strings.Contains(csv, ",MAIN,api,searches,3") || !strings.Contains(csv, ",MAIN,api,search_successes,2") {
		t.Errorf("csv:\n%s", csv)
	}
}
