package notices

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"stacks/branch/domain"
)

func testEval(now time.Time) *evaluation {
	e := &evaluation{now: now, today: now.Format(domain.DateLayout), opts: DefaultOptions(),
		rules: &ruleBook{sets: map[[2]string][]OverdueRule{}, cache: map[[2]string][]OverdueRule{}}, prefs: map[string]domain.MessagingPrefs{}}
	e.todayN, _ = dayNum(e.today)
	return e
}

// Days are the library's: at 23:30 local time the pre-due notice is not
// yet due, at 00:30 it is, on either side of the DST changes (Helsinki:
// UTC+2 in winter, UTC+3 in summer; 2026-03-29 and 2026-10-25).
func TestStagesInLibraryTimeAcrossDST(t *testing.T) {
	hel, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	for _, c := range []struct {
		utc, due string
		want     string // "" for none
	}{
		{"2026-03-26T21:30:00Z", "2026-03-30", ""},           // 23:30 EET on the 26th
		{"2026-03-26T22:30:00Z", "2026-03-30", KindPreDue},   // 00:30 EET on the 27th
		{"2026-03-29T20:30:00Z", "2026-03-30", KindPreDue},   // 23:30 EEST on the 29th (DST began that night)
		{"2026-03-29T21:30:00Z", "2026-03-30", KindDueToday}, // 00:30 EEST on the 30th
		{"2026-10-25T20:30:00Z", "2026-10-26", KindPreDue},   // 22:30 EET on the 25th (DST ended that night)
		{"2026-10-25T22:30:00Z", "2026-10-26", KindDueToday}, // 00:30 EET on the 26th
		{"2026-10-26T22:30:00Z", "2026-10-26", KindOverdue1}, // 00:30 on the 27th: a day late
		{"2026-11-09T22:30:00Z", "2026-10-26", KindOverdue3}, // 15 days late
		{"2026-11-02T22:30:00Z", "2026-10-26", KindOverdue2}, // 8 days late
		{"2026-11-02T21:30:00Z", "2026-10-26", KindOverdue1}, // 23:30 on day 7
		{"2026-10-25T21:59:59Z", "2026-10-26", KindPreDue},   // 23:59:59 EET
		{"2026-10-25T22:00:00Z", "2026-10-26", KindDueToday}, // midnight EET
		{"2026-03-29T20:59:59Z", "2026-03-30", KindPreDue},   // 23:59:59 EEST
		{"2026-03-29T21:00:00Z", "2026-03-30", KindDueToday}, // midnight EEST
		{"2026-03-27T00:00:00Z", "bad", ""},                  // a date that is not one: nothing, no panic
	} {
		now, _ := time.Parse(time.RFC3339, c.utc)
		s, ok := testEval(now.In(hel)).loanStage("p", "MAIN", "ADULT", c.due)
		got := ""
		if ok {
			got = s.kind
		}
		if got != c.want {
			t.Errorf("%s (due %s): %q, want %q", c.utc, c.due, got, c.want)
		}
	}
}

// Property: whatever the schedule of runs (runs missed for days, as over
// an outage or a holiday), the notices of a loan go in order, each at most
// once, none after a later one, and the last reached is always sent.
func TestMissedRunsProperty(t *testing.T) {
	order := []string{KindPreDue, KindDueToday, KindOverdue1, KindOverdue2, KindOverdue3}
	hel, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		hel = time.UTC
	}
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 500; trial++ {
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, hel).Add(time.Duration(r.IntN(365*24)) * time.Hour)
		due := start.AddDate(0, 0, 1+r.IntN(20)).Format(domain.DateLayout)
		sent := map[string]bool{}
		var seq []string
		now := start
		end := start.AddDate(0, 0, 60)
		var last string
		for now.Before(end) {
			if s, ok := testEval(now).loanStage("p", "MAIN", "ADULT", due); ok {
				last = s.kind
				if !sent[s.kind] {
					sent[s.kind] = true
					seq = append(seq, s.kind)
				}
			}
			now = now.Add(time.Duration(1+r.IntN(10*24*60)) * time.Minute) // a minute to ten days
		}
		if s, ok := testEval(end).loanStage("p", "MAIN", "ADULT", due); ok && s.kind != last {
			// One more run at the end: what is due now is what the last run saw or later.
			seq = append(seq, s.kind)
		}
		prev := -1
		for _, k := range seq {
			i := slices.Index(order, k)
			if i <= prev {
				t.Fatalf("trial %d (due %s): notices went %v: out of order or twice", trial, due, seq)
			}
			prev = i
		}
		if len(seq) == 0 || seq[len(seq)-1] != KindOverdue3 {
			t.Fatalf("trial %d (due %s): notices %v: the 3rd overdue, due 15 days late, never went", trial, due, seq)
		}
	}
}
