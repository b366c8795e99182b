package httpapi_test

import (
	"encoding/csv"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"stacks/node/httpapi"
)

// The insights: counted from the checkouts made through the API, readable
// by supervisors and central IT (reports.read) and no one else, as JSON,
// CSV and an HTML page with SVG charts in English and Finnish.
func TestInsightsRoutes(t *testing.T) {
	f := newFixture(t)
	f.checkout("21000000000001", "B0001", asClerk)
	f.checkout("21000000000002", "B0002", asKiosk)
	day := start.Format("2006-01-02")
	q := "?from=" + day + "&to=" + day

	var rep struct {
		Total struct {
			Loans           int      `json:"loans"`
			Registrations   int      `json:"registrations"`
			SelfServed      int      `json:"self_served"`
			Desk            int      `json:"desk"`
			SelfServedShare *float64 `json:"self_served_share"`
		} `json:"total"`
		Days     []map[string]any `json:"days"`
		Hours    []map[string]any `json:"hours"`
		Notices  map[string]any   `json:"notices"`
		Help     []any            `json:"help"`
		Turnover []map[string]any `json:"turnover"`
	}
	f.do("GET", "/api/v1/insights"+q, nil, asSuper).want(t, http.StatusOK, &rep)
	if rep.Total.Loans != 2 || rep.Total.SelfServed != 1 || rep.Total.Desk != 1 || rep.Total.SelfServedShare == nil ||
		*rep.Total.SelfServedShare != 0.5 || rep.Total.Registrations != 3 {
		t.Fatalf("total of the node's own branch (MAIN) %+v", rep.Total)
	}
	if len(rep.Days) != 1 || len(rep.Hours) != 24 || rep.Notices == nil || rep.Help == nil {
		t.Fatalf("report %+v", rep)
	}
	// Two books lent of MAIN's three; its DVD and map were not.
	wantTurnover := []map[string]any{
		{"library_id": "MAIN", "format": "book", "loans": 2.0, "held": 3.0, "turnover": 0.6667},
		{"library_id": "MAIN", "format": "dvd", "loans": 0.0, "held": 1.0, "turnover": 0.0},
		{"library_id": "MAIN", "format": "map", "loans": 0.0, "held": 1.0, "turnover": 0.0},
	}
	if !reflect.DeepEqual(rep.Turnover, wantTurnover) {
		t.Fatalf("turnover %v, want %v", rep.Turnover, wantTurnover)
	}
	f.do("GET", "/api/v1/insights"+q+"&library_id=*", nil, asCentralIT).want(t, http.StatusOK, &rep)
	if rep.Total.Registrations != 4 || rep.Total.Loans != 2 {
		t.Fatalf("total of every branch %+v", rep.Total)
	}
	f.do("GET", "/api/v1/insights"+q+"&library_id=EAST", nil, asSuper).want(t, http.StatusOK, &rep)
	if rep.Total.Registrations != 1 || rep.Total.Loans != 0 {
		t.Fatalf("total of EAST %+v", rep.Total)
	}
	f.do("GET", "/api/v1/insights"+q, nil, asClerk).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("GET", "/insights", nil, asKiosk).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("GET", "/api/v1/insights?from=yesterday", nil, asSuper).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("GET", "/api/v1/insights?from=2026-02-01&to=2026-01-01", nil, asSuper).wantProblem(t, http.StatusBadRequest, "invalid")

	r := f.do("GET", "/api/v1/insights/counts.csv"+q, nil, asSuper)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", r.status, r.body)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	loans := 0
	for _, row := range rows[1:] {
		if row[4] == "loans" {
			loans++
		}
	}
	if strings.Join(rows[0], ",") != "date,hour,library_id,channel,metric,n" || loans != 2 {
		t.Fatalf("csv rows %v", rows)
	}

	r = f.do("GET", "/api/v1/insights/turnover.csv"+q+"&library_id=*", nil, asSuper)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
		string(r.body) != "library_id,format,loans,held,turnover\nMAIN,book,2,3,0.6667\nMAIN,dvd,0,1,0\nMAIN,map,0,1,0\n" {
		t.Fatalf("turnover csv: %d %q", r.status, r.body)
	}
	f.do("GET", "/api/v1/insights/turnover.csv"+q, nil, asClerk).wantProblem(t, http.StatusForbidden, "not_permitted")

	for lang, title := range map[string]string{"en": "<h1>Insights", "fi": "<h1>Tilastot"} {
		r := f.do("GET", "/insights"+q+"&lang="+lang, nil, asSuper)
		body := string(r.body)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(body, title) ||
			!strings.Contains(body, "<svg") || !strings.Contains(body, map[string]string{"en": "id=\"self-share\">50.0\u00a0%", "fi": "id=\"self-share\">50,0\u00a0%"}[lang]) || strings.Contains(body, "<script") {
			t.Fatalf("page in %s: %d %s", lang, r.status, body)
		}
		book := map[string]string{"en": "<td>Book</td><td>2</td><td>3</td><td>0.67</td>", "fi": "<td>Kirja</td><td>2</td><td>3</td><td>0,67</td>"}[lang]
		if !strings.Contains(body, book) || !strings.Contains(body, "/api/v1/insights/turnover.csv?") {
			t.Fatalf("page in %s: no turnover row %s:\n%s", lang, book, body)
		}
		// No notice was delivered: their open and click rates are not
		// rates of nought but none.
		if !strings.Contains(body, "<td>0</td><td>–</td><td>–</td></tr>") {
			t.Fatalf("page in %s: notices' rates with nothing delivered are not \"–\":\n%s", lang, body)
		}
		if desk := map[string]string{"en": "<td>Desk</td>", "fi": "<td>Palvelutiski</td>"}[lang]; !strings.Contains(body, desk) {
			t.Fatalf("page in %s: the desk channel is not named %s", lang, desk)
		}
	}
	r = f.do("GET", "/insights"+q, nil, asSuper, header("Accept-Language", "fi-FI,fi;q=0.9,en;q=0.5"))
	if !strings.Contains(string(r.body), `<html lang="fi">`) {
		t.Fatalf("Accept-Language fi gave %s", r.body)
	}
}

// Every text of the insights page is there in both languages.
func TestInsightTextsBothLanguages(t *testing.T) {
	en, fi := slices.Sorted(maps.Keys(httpapi.InsightTexts["en"])), slices.Sorted(maps.Keys(httpapi.InsightTexts["fi"]))
	if len(en) == 0 || !slices.Equal(en, fi) {
		t.Fatalf("keys differ:\nen %v\nfi %v", en, fi)
	}
}
