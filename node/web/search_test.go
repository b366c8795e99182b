package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"stacks/branch/domain"
)

// facetBox is a facet check box on the search page and its count.
var facetBox = regexp.MustCompile(`<input type="checkbox" id="[^"]+" name="([a-z_]+)" value="([^"]*)"( checked)?> <label[^>]*>[^<]*(?: <span class="count">\((\d+)\)</span>)?</label>`)

var foundCount = regexp.MustCompile(`<h2 id="hits-h">(\d+) (?:result|tulos)`)

type box struct {
	facet, value string
	checked      bool
	count        int
}

func boxes(tb testing.TB, body string) []box {
	tb.Helper()
	var out []box
	for _, m := range facetBox.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[4])
		out = append(out, box{m[1], htmlUnescape(m[2]), m[3] != "", n})
	}
	return out
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#39;", "'", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`).Replace(s)
}

func total(tb testing.TB, p page) int {
	tb.Helper()
	m := foundCount.FindStringSubmatch(p.body)
	if m == nil {
		tb.Fatalf("no result count on the page:\n%s", p.body)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// facetLib adds titles with formats, languages, audiences, decades and
// subjects to the fixture.
func facetLib(t *testing.T) *lib {
	l := newLib(t)
	for i, nb := range []domain.NewBiblio{
		{Title: "Winter Birds", Authors: []string{"Lind, Aino"}, Format: "book", Language: "fin", Audience: "juvenile", Year: 1995, Subjects: []string{"Birds"}},
		{Title: "Winter Birds", Authors: []string{"Lind, Aino"}, Format: "audiobook", Language: "fin", Audience: "juvenile", Year: 2001, Subjects: []string{"Birds"}},
		{Title: "Snow and Ice", Authors: []string{"Frost, Jack"}, Format: "book", Language: "eng", Audience: "adult", Year: 1998, Subjects: []string{"Winter", "Weather"}},
		{Title: "Winter Kitchen", Authors: []string{"Berg, Maja"}, Format: "dvd", Language: "swe", Year: 2012, Subjects: []string{"Cooking", "Winter"}},
	} {
		b := l.title(nb)
		l.item(b, "F"+strconv.Itoa(i), []string{"MAIN", "EAST"}[i%2], "X")
	}
	return l
}

// Every facet value's count on the page is the number of results when the
// value is chosen; a second value of the same facet widens (OR), a value
// of another facet narrows (AND); a filter's remove link drops it.
func TestSearchFacetCountsMatchResults(t *testing.T) {
	l := facetLib(t)
	b := l.browser()
	p := b.get("/search?q=winter")
	wantStatus(t, p, http.StatusOK)
	all := total(t, p)
	bs := boxes(t, p.body)
	seen := map[string]bool{}
	for _, x := range bs {
		seen[x.facet] = true
		if x.checked {
			t.Fatalf("%s=%s checked with no filter", x.facet, x.value)
		}
		q := url.Values{"q": {"winter"}, x.facet: {x.value}}
		got := total(t, b.get("/search?"+q.Encode()))
		if got != x.count {
			t.Errorf("%s=%s: the page says %d, choosing it gives %d", x.facet, x.value, x.count, got)
		}
		if got > all {
			t.Errorf("%s=%s: %d results, more than unfiltered %d", x.facet, x.value, got, all)
		}
	}
	for _, f := range []string{"format", "language", "available_at", "library_id", "audience", "decade", "author", "subject"} {
		if !seen[f] {
			t.Errorf("no facet %s on the page:\n%s", f, p.body)
		}
	}

	// OR within a facet, AND across.
	one := total(t, b.get("/search?q=winter&format=dvd"))
	two := total(t, b.get("/search?q=winter&format=dvd&format=audiobook"))
	if one != 1 || two != 2 {
		t.Fatalf("format=dvd: %d, dvd or audiobook: %d; want 1 and 2", one, two)
	}
	p = b.get("/search?q=winter&format=dvd&format=audiobook&language=fin")
	if n := total(t, p); n != 1 {
		t.Fatalf("dvd or audiobook, in Finnish: %d, want 1", n)
	}
	wantIn(t, p, "Winter Birds", "Filters in use:", "Format: DVD", "Language: Finnish")
	wantNotIn(t, p, "Winter Kitchen")
	// The DVD's remove link keeps the other filters.
	rm := regexp.MustCompile(`<a href="([^"]+)" class="chip">Format: DVD`).FindStringSubmatch(p.body)
	if rm == nil {
		t.Fatalf("no remove link for the DVD filter:\n%s", p.body)
	}
	u := htmlUnescape(rm[1])
	if strings.Contains(u, "dvd") || !strings.Contains(u, "audiobook") || !strings.Contains(u, "language=fin") {
		t.Fatalf("remove link %s", u)
	}

	// Grouped works: both editions of Winter Birds are one result listing
	// its formats, each edition linked.
	p = b.get("/search?q=winter+birds")
	if n := total(t, p); n != 1 {
		t.Fatalf("winter birds: %d works, want 1", n)
	}
	wantIn(t, p, "Book, 1995", "Audiobook, 2001")
	if !strings.Contains(p.body, "Audiobook, Book</span>") && !strings.Contains(p.body, "Book, Audiobook</span>") {
		t.Fatalf("the work does not list its formats:\n%s", p.body)
	}

	// Sort and bad input.
	wantStatus(t, b.get("/search?q=winter&sort=title"), http.StatusOK)
	wantStatus(t, b.get("/search?q=winter&sort=nonsense"), http.StatusBadRequest)
	wantStatus(t, b.get("/search?q=winter&decade=199x"), http.StatusBadRequest)
	wantStatus(t, b.get("/search?q=winter&format=nonsense"), http.StatusBadRequest)

	// Facets without words browse the catalogue.
	if n := total(t, b.get("/search?audience=juvenile")); n != 1 {
		t.Fatalf("audience=juvenile: %d works, want 1", n)
	}
	// Finnish labels.
	b.lang = "fi"
	p = b.get("/search?q=winter")
	wantIn(t, p, "Aineistolaji", "Kohderyhmä", "Lapset", "1990-luku", "suomi", "Rajaa tuloksia")
}

// Pages: 20 works a page, a next link while more remain.
func TestSearchPages(t *testing.T) {
	l := newLib(t)
	for i := range 25 {
		l.title(domain.NewBiblio{Title: "Paging title " + strconv.Itoa(i), Authors: []string{"Author " + strconv.Itoa(i)}, Format: "book"})
	}
	b := l.browser()
	p := b.get("/search?q=paging&sort=title")
	if n := total(t, p); n != 25 {
		t.Fatalf("%d results, want 25", n)
	}
	if c := strings.Count(p.body, `<li class="work">`); c != 20 {
		t.Fatalf("%d on page 1", c)
	}
	wantIn(t, p, `rel="next"`)
	p = b.get("/search?page=2&q=paging&sort=title")
	if c := strings.Count(p.body, `<li class="work">`); c != 5 {
		t.Fatalf("%d on page 2", c)
	}
	wantIn(t, p, `rel="prev"`, `start="21"`)
	wantNotIn(t, p, `rel="next"`)
}

// The title page lists every other edition of its work.
func TestTitleListsEveryEdition(t *testing.T) {
	l := newLib(t)
	third := l.title(domain.NewBiblio{Title: "The Long Winter", Authors: []string{"Wilder, Laura"}, Format: "audiobook", Year: 2004})
	p := l.browser().get("/titles/" + l.novel.BiblioID)
	wantIn(t, p, "/titles/"+l.novel2.BiblioID, "/titles/"+third.BiblioID, "Large print", "Audiobook")
}
