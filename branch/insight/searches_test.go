package insight_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/insight"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

func searchCounts(t *testing.T, env *branchtest.Env, day string) map[string]int {
	t.Helper()
	cs, err := insight.Counts(context.Background(), env.Service.Read(), insight.Filter{From: day, To: day})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range cs {
		if c.Metric == insight.MetricSearches || c.Metric == insight.MetricSearchSuccesses {
			out[c.LibraryID+"/"+c.Channel+"/"+c.Metric] += c.N
		}
	}
	return out
}

// TestSearchSuccess: a search counts once; the first view from it counts
// it as successful, a reload does not again, a view carrying no or an
// unknown nonce counts nothing, an expired search cannot succeed; the
// counts go out as one op per flush, replicate to a second node with equal
// counts, survive a rebuild, and the op names no patron, query or title.
func TestSearchSuccess(t *testing.T) {
	ctx := context.Background()
	loc := helsinki(t)
	clock := replicatetest.NewClock(time.Date(2026, 11, 3, 10, 15, 0, 0, loc))
	caps := capsIn(loc)
	a := branchtest.Open(t, branchtest.Options{Node: 1, Branch: "MAIN", Clock: clock, Capabilities: caps})
	b := branchtest.Open(t, branchtest.Options{Node: 2, Branch: "EAST", Clock: clock, Capabilities: caps})
	now := time.Date(2026, 11, 3, 10, 15, 0, 0, loc)
	s := insight.NewSearches(a.Service, loc, func() time.Time { return now })

	n1 := s.Search("MAIN", "web")
	n2 := s.Search("MAIN", "web")
	n3 := s.Search("MAIN", "app")
	if n1 == n2 || len(n1) < 16 {
		t.Fatalf("nonces %q %q", n1, n2)
	}
	if !s.Success(n1) {
		t.Error("first view from a search not counted")
	}
	if s.Success(n1) {
		t.Error("a reload counted again")
	}
	if s.Success("") || s.Success("feedface") {
		t.Error("a view not from a search counted")
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// A success after the flush counts in the next, at the search's hour.
	now = now.Add(50 * time.Minute)
	if !s.Success(n3) {
		t.Error("success after a flush not counted")
	}
	// Past the TTL a search is forgotten.
	now = now.Add(3 * time.Hour)
	if s.Success(n2) || s.Pending() != 0 {
		t.Errorf("an expired search succeeded or is kept (%d pending)", s.Pending())
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil { // nothing new: no op
		t.Fatal(err)
	}
	want := map[string]int{"MAIN/web/searches": 2, "MAIN/web/search_successes": 1, "MAIN/app/searches": 1, "MAIN/app/search_successes": 1}
	got := searchCounts(t, a, "2026-11-03")
	if len(got) != len(want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all %v)", k, got[k], v, got)
		}
	}
	var ops int
	var payloads []string
	if err := a.Service.Log().DB().ScanOps(ctx, replicate.OpFilter{Kinds: []string{insight.KindSearches}}, func(op replicate.Op) error {
		ops++
		payloads = append(payloads, string(op.Payload))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if ops != 2 {
		t.Errorf("%d search ops, want 2 (one per flush with counts)", ops)
	}
	for _, p := range payloads {
		for _, bad := range []string{"patron", "query", "title", "nonce", "session", n1, n3} {
			if strings.Contains(p, bad) {
				t.Errorf("search op holds %q: %s", bad, p)
			}
		}
	}

	// The ops replicate: the second node counts the same, twice over not.
	branchtest.Exchange(t, a.Service, b.Service)
	branchtest.Exchange(t, a.Service, b.Service)
	if gb := searchCounts(t, b, "2026-11-03"); len(gb) != len(got) {
		t.Errorf("replica counts %v, origin %v", gb, got)
	} else {
		for k, v := range got {
			if gb[k] != v {
				t.Errorf("replica %s = %d, origin %d", k, gb[k], v)
			}
		}
	}
	if _, err := insight.Rebuild(ctx, b.Service, loc); err != nil {
		t.Fatal(err)
	}
	if gb := searchCounts(t, b, "2026-11-03"); gb["MAIN/web/search_successes"] != 1 || gb["MAIN/web/searches"] != 2 {
		t.Errorf("after a rebuild %v", gb)
	}
	r, err := insight.Build(ctx, b.Service.Read(), insight.Filter{From: "2026-11-03", To: "2026-11-03", LibraryID: "MAIN"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Total.Searches != 3 || r.Total.SearchSuccesses != 2 || r.Total.SearchSuccessRate == nil || *r.Total.SearchSuccessRate != 0.6667 {
		t.Errorf("report total %+v", r.Total)
	}
}

// TestSearchesBounded: no more than MaxPending searches are remembered.
func TestSearchesBounded(t *testing.T) {
	env := branchtest.Open(t, branchtest.Options{})
	s := insight.NewSearches(env.Service, nil, nil)
	s.MaxPending = 3
	first := s.Search("MAIN", "web")
	for range 5 {
		s.Search("MAIN", "web")
	}
	if s.Pending() != 3 || s.Success(first) {
		t.Errorf("%d pending, oldest kept", s.Pending())
	}
}
