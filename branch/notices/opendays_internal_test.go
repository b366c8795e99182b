package notices

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Property: for random branch calendars (weekdays closed, holidays, a
// holiday lifted) and delays, the threshold of an open-days delay is an
// open day after the due date, with exactly the delay's open days in
// (due, threshold], and later for a longer delay; calendar days are the
// delay itself.
func TestOpenDaysProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	for iter := 0; iter < 300; iter++ {
		c := &calendars{hours: map[string]map[time.Weekday]bool{}, closed: map[string]map[int]bool{}, memo: map[openKey]int{}}
		base, _ := dayNum("2026-01-01")
		if r.IntN(4) > 0 {
			c.hours["B"] = map[time.Weekday]bool{}
			for wd := time.Sunday; wd <= time.Saturday; wd++ {
				c.hours["B"][wd] = r.IntN(3) > 0
			}
			c.hours["B"][time.Wednesday] = true // open at least one weekday
		}
		c.closed["B"] = map[int]bool{}
		for k := 0; k < r.IntN(30); k++ {
			c.closed["B"][base+r.IntN(400)] = r.IntN(5) > 0 // a few lift a closure
		}
		due := base + r.IntN(365)
		prev := due
		for days := 0; days <= 20; days++ {
			got := c.addOpen("B", due, days)
			if days == 0 {
				if got != due {
					t.Fatalf("0 days: %s, want the due date %s", dateOf(got), dateOf(due))
				}
				continue
			}
			if !c.open("B", got) || got <= prev {
				t.Fatalf("iter %d, %d open days after %s: %s (open %v), previous %s", iter, days, dateOf(due), dateOf(got), c.open("B", got), dateOf(prev))
			}
			n := 0
			for d := due + 1; d <= got; d++ {
				if c.open("B", d) {
					n++
				}
			}
			if n != days {
				t.Fatalf("iter %d: %d open days in (%s, %s], want %d", iter, n, dateOf(due), dateOf(got), days)
			}
			prev = got
			e := testEval(time.Unix(int64(got)*86400, 0).UTC())
			e.cals = c
			if s := e.overdueStart("B", due, OverdueRule{DelayDays: days}); s != due+days {
				t.Fatalf("calendar days: %d, want %d", s, due+days)
			}
		}
	}
}

// An overdue rule in open days, in the library's time zone across the
// spring DST change: a loan due Friday 2026-03-27 at a branch closed on
// Sundays and on Saturday 2026-03-28 (a holiday) gets its first overdue
// notice (delay 1 open day) at midnight EEST starting Monday the 30th,
// not the day after the due date; with calendar days, on the 28th.
func TestOpenDaysAcrossDSTAndHoliday(t *testing.T) {
	hel, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	sat, _ := dayNum("2026-03-28")
	cal := &calendars{hours: map[string]map[time.Weekday]bool{"MAIN": {time.Sunday: false, time.Monday: true, time.Tuesday: true,
		time.Wednesday: true, time.Thursday: true, time.Friday: true, time.Saturday: true}}, closed: map[string]map[int]bool{"MAIN": {sat: true}},
		memo: map[openKey]int{}}
	for _, c := range []struct {
		utc      string
		openDays bool
		want     string
	}{
		{"2026-03-27T21:59:59Z", false, KindDueToday}, // 23:59:59 EET Friday
		{"2026-03-27T22:00:00Z", false, KindOverdue1}, // 00:00 EET Saturday: a calendar day late
		{"2026-03-27T22:00:00Z", true, KindDueToday},  // Saturday is a holiday
		{"2026-03-28T22:00:00Z", true, KindDueToday},  // 00:00 EET Sunday: closed
		{"2026-03-29T20:59:59Z", true, KindDueToday},  // 23:59:59 EEST Sunday (DST began that night)
		{"2026-03-29T21:00:00Z", true, KindOverdue1},  // 00:00 EEST Monday: the first open day
		{"2026-04-06T20:59:59Z", true, KindOverdue1},  // 23:59:59 EEST Monday 6 April: 7 open days after (Mon 30 - Sat 4, Mon 6)
		{"2026-04-06T21:00:00Z", true, KindOverdue2},  // 00:00 EEST Tuesday 7 April: the 8th open day
	} {
		now, _ := time.Parse(time.RFC3339, c.utc)
		e := testEval(now.In(hel))
		e.cals = cal
		e.rules.sets[[2]string{"*", "*"}] = []OverdueRule{{Level: 1, DelayDays: 1, OpenDays: c.openDays},
			{Level: 2, DelayDays: 8, OpenDays: c.openDays}, {Level: 3, DelayDays: 15, OpenDays: c.openDays}}
		e.rules.cache = map[[2]string][]OverdueRule{}
		s, ok := e.loanStage("p", "MAIN", "ADULT", "2026-03-27")
		got := ""
		if ok {
			got = s.kind
		}
		if got != c.want {
			t.Errorf("%s (open days %v): %q, want %q", c.utc, c.openDays, got, c.want)
		}
	}
}
