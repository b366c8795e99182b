package notices

import (
	"context"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
)

// Overdue delays in open days. A rule with OpenDays counts its delay in
// the days the loan's branch is open, as branch's calendar counts late
// days for fines: a weekday with no hours set while others have some, or
// a closed day (a holiday), does not count; a branch with no hours set is
// open every day but its closed days. The threshold is the day the
// delay's last open day begins, in the library's time zone; days are
// dates, so DST changes move nothing.

// calendars are every branch's opening days, read once per evaluation.
type calendars struct {
	hours  map[string]map[time.Weekday]bool
	closed map[string]map[int]bool // branch -> day number -> closed (false lifts a closure)
	memo   map[openKey]int
}

type openKey struct {
	branch    string
	due, days int
}

func loadCalendars(ctx context.Context, q replicate.Querier) (*calendars, error) {
	c := &calendars{hours: map[string]map[time.Weekday]bool{}, closed: map[string]map[int]bool{}, memo: map[openKey]int{}}
	rows, err := q.QueryContext(ctx, `SELECT branch_id, weekday, opens FROM opening_hours`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var br, opens string
		var wd int
		if err := rows.Scan(&br, &wd, &opens); err != nil {
			rows.Close()
			return nil, err
		}
		if c.hours[br] == nil {
			c.hours[br] = map[time.Weekday]bool{}
		}
		c.hours[br][time.Weekday(wd)] = opens != ""
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT branch_id, date, closed FROM closed_days`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var br, d string
		var closed bool
		if err := rows.Scan(&br, &d, &closed); err != nil {
			return nil, err
		}
		if n, ok := dayNum(d); ok {
			if c.closed[br] == nil {
				c.closed[br] = map[int]bool{}
			}
			c.closed[br][n] = closed
		}
	}
	return c, rows.Err()
}

// open reports whether branch opens on day number n.
func (c *calendars) open(branch string, n int) bool {
	if closed, ok := c.closed[branch][n]; ok {
		return !closed
	}
	hs, ok := c.hours[branch]
	if !ok || len(hs) == 0 {
		return true
	}
	return hs[time.Unix(int64(n)*86400, 0).UTC().Weekday()]
}

// addOpen is the day number of the days-th open day of branch after due
// (due itself for 0). A branch not open once in ten years counts calendar
// days.
func (c *calendars) addOpen(branch string, due, days int) int {
	if days <= 0 {
		return due
	}
	k := openKey{branch, due, days}
	if v, ok := c.memo[k]; ok {
		return v
	}
	v, n := due+days, 0
	for d := due + 1; d <= due+3650; d++ {
		if c.open(branch, d) {
			n++
			if n == days {
				v = d
				break
			}
		}
	}
	c.memo[k] = v
	return v
}

// overdueStart is the day an overdue level's notice of a loan of branch
// due on day number due is due from.
func (e *evaluation) overdueStart(branch string, due int, r OverdueRule) int {
	if !r.OpenDays || e.cals == nil {
		return due + r.DelayDays
	}
	return e.cals.addOpen(branch, due, r.DelayDays)
}

// dateOf is a day number as a library date.
func dateOf(n int) string { return time.Unix(int64(n)*86400, 0).UTC().Format(domain.DateLayout) }
