package websession_test

import (
	"context"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/websession"
)

// Two nodes end the same patron's sessions at once, in either order: both
// keep the later cutoff, and at the same cutoff the one keeping no session.
func TestCutoffsConverge(t *testing.T) {
	ctx := branchtest.Admin(context.Background())
	a := branchtest.Open(t, branchtest.Options{Node: 1})
	b := branchtest.Open(t, branchtest.Options{Node: 2})
	wa, wb := websession.New(a.Service), websession.New(b.Service)
	t0 := time.UnixMilli(1_800_000_000_000)
	for _, step := range []struct {
		w      *websession.Service
		at     time.Time
		keep   string
		patron string
	}{
		{wa, t0, "s1", "p1"}, {wb, t0.Add(time.Second), "s2", "p1"}, {wa, t0.Add(time.Second), "", "p1"},
		{wb, t0, "", "p2"}, {wa, t0, "s3", "p2"},
	} {
		if err := step.w.End(ctx, step.patron, step.at, step.keep); err != nil {
			t.Fatal(err)
		}
	}
	branchtest.Exchange(t, a.Service, b.Service)
	branchtest.Exchange(t, b.Service, a.Service)
	for _, tc := range []struct {
		patron string
		before int64
		keep   string
	}{{"p1", t0.Add(time.Second).UnixMilli(), ""}, {"p2", t0.UnixMilli(), ""}, {"nobody", 0, ""}} {
		for name, w := range map[string]*websession.Service{"a": wa, "b": wb} {
			before, keep, err := w.Cutoff(context.Background(), tc.patron)
			if err != nil {
				t.Fatal(err)
			}
			if before != tc.before || keep != tc.keep {
				t.Errorf("node %s, %s: cutoff %d keep %q, want %d %q", name, tc.patron, before, keep, tc.before, tc.keep)
			}
		}
	}
	if err := wa.End(ctx, "", t0, ""); err == nil {
		t.Fatal("ended the sessions of no patron")
	}
}
