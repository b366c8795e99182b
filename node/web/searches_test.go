package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"stacks/branch"
	"stacks/branch/insight"
	"stacks/node/web"
)

type boundSearches struct{ s *insight.Searches }

func (b boundSearches) Search(ch string) string   { return b.s.Search("MAIN", ch) }
func (b boundSearches) Success(nonce string) bool { return b.s.Success(nonce) }

var fromLink = regexp.MustCompile(`href="(/titles/[^"?]+)\?from=([0-9a-f]+)"`)

// TestSearchSuccessOnTheWeb: a search's result links carry its nonce; a
// title view from one counts the search as successful once (a reload not
// again), a title view not from a search counts nothing, a later page
// of a search (its sid=) is not another search, and the flushed counts
// say so.
func TestSearchSuccessOnTheWeb(t *testing.T) {
	var s *insight.Searches
	l := newLib(t, func(c *web.Config) {
		svc := c.Library.(*branch.Service)
		s = insight.NewSearches(svc, nil, svc.Now)
		c.Searches = boundSearches{s}
	})
	b := l.browser()
	p := b.get("/search?q=long+winter")
	m := fromLink.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no result link carries a search nonce:\n%s", p.body)
	}
	link := m[1] + "?from=" + m[2]
	wantStatus(t, b.get(link), 200)
	wantStatus(t, b.get(link), 200) // a reload
	b.get("/search?q=zzzzqqq")      // a search that finds nothing
	wantStatus(t, b.get(m[1]), 200) // not from a search
	wantStatus(t, b.get(m[1]+"?from=0123456789abcdef00"), 200)
	// A later page of the same search (its sid) is not another search; a
	// later page reached without it is.
	if p := b.get("/search?q=long+winter&page=2&sid=" + m[2]); p.status != 200 || strings.Count(p.body, "?from=") != strings.Count(p.body, "?from="+m[2]) {
		t.Errorf("page 2 of the search: %d", p.status)
	}
	b.get("/search?q=long+winter&page=2")
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	day := l.svc.Now().Format("2006-01-02")
	r, err := insight.Build(context.Background(), l.svc.Read(), insight.Filter{From: day, To: day})
	if err != nil {
		t.Fatal(err)
	}
	if r.Total.Searches != 3 || r.Total.SearchSuccesses != 1 {
		t.Errorf("searches %d, successes %d; want 3, 1", r.Total.Searches, r.Total.SearchSuccesses)
	}
	if len(r.Channels) == 0 || r.Channels[len(r.Channels)-1].Key != "web" {
		t.Errorf("channels %+v", r.Channels)
	}
}
