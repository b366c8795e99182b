package branch

import (
	"context"
	"regexp"
	"stacks/branch/domain"
	"time"
)

// calendar is one branch's opening days, loaded once per command.
type calendar struct {
	hours  map[time.Weekday]bool // weekday -> open; absent means no hours set
	closed map[string]bool       // date -> closed (false lifts a closure)
	anySet bool
}

func loadCalendar(ctx context.Context, q querier, branch string) (*calendar, error) {
	c := &calendar{hours: map[time.Weekday]bool{}, closed: map[string]bool{}}
	rows, err := q.QueryContext(ctx, `SELECT weekday, opens FROM opening_hours WHERE branch_id=?`, branch)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var wd int
		var opens string
		if err := rows.Scan(&wd, &opens); err != nil {
			rows.Close()
			return nil, err
		}
		c.hours[time.Weekday(wd)] = opens != ""
		c.anySet = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT date, closed FROM closed_days WHERE branch_id=?`, branch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var closed bool
		if err := rows.Scan(&d, &closed); err != nil {
			return nil, err
		}
		c.closed[d] = closed
	}
	return c, rows.Err()
}

// open reports whether the branch opens on day d.
func (c *calendar) open(d time.Time) bool {
	if closed, ok := c.closed[d.Format(domain.DateLayout)]; ok {
		return !closed
	}
	if !c.anySet {
		return true
	}
	return c.hours[d.Weekday()]
}

// nextOpen returns d, or the first day after it the branch opens. A branch
// with no open day in the coming year returns d.
func (c *calendar) nextOpen(d time.Time) time.Time {
	for i := 0; i < 366; i++ {
		day := d.AddDate(0, 0, i)
		if c.open(day) {
			return day
		}
	}
	return d
}

// dueDate is the date a loan of days made on from falls due: never a day the
// branch is closed.
func (c *calendar) dueDate(from time.Time, days int) string {
	d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	return c.nextOpen(d.AddDate(0, 0, days)).Format(domain.DateLayout)
}

// lateDays counts the days the branch was open after due, up to and
// including returned: days it is closed accrue no fine.
func (c *calendar) lateDays(due string, returned time.Time) int {
	d, err := time.Parse(domain.DateLayout, due)
	if err != nil {
		return 0
	}
	end := time.Date(returned.Year(), returned.Month(), returned.Day(), 0, 0, 0, 0, time.UTC)
	n := 0
	for day := d.AddDate(0, 0, 1); !day.After(end); day = day.AddDate(0, 0, 1) {
		if c.open(day) {
			n++
		}
		if n > 3650 {
			break
		}
	}
	return n
}

var clockTime = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// SetOpeningHours sets a weekday's hours; empty opens and closes mark the
// branch closed that weekday.
func (s *Service) SetOpeningHours(ctx context.Context, h domain.OpeningHours) error {
	if h.Weekday < 0 || h.Weekday > 6 {
		return domain.Invalid("Weekday must be 0 (Sunday) to 6 (Saturday).")
	}
	if (h.Opens == "") != (h.Closes == "") {
		return domain.Invalid("Give both opening and closing times, or neither for a closed day.")
	}
	if h.Opens != "" && (!clockTime.MatchString(h.Opens) || !clockTime.MatchString(h.Closes) || h.Opens >= h.Closes) {
		return domain.Invalid("Opening hours must be HH:MM with opening before closing.")
	}
	return s.update(ctx, func(t *txn) error {
		if err := requireLibrary(ctx, t, h.BranchID); err != nil {
			return err
		}
		_, err := t.emit(ctx, KindHoursSet, fieldsOp{Key: map[string]any{"branch_id": h.BranchID, "weekday": h.Weekday},
			Fields: map[string]any{"opens": h.Opens, "closes": h.Closes}})
		return err
	})
}

// SetClosedDay marks a date closed (a holiday), or with Closed false lifts
// that closure.
func (s *Service) SetClosedDay(ctx context.Context, d domain.ClosedDay) error {
	if _, err := domain.ParseDate(d.Date); err != nil {
		return err
	}
	if err := domain.CheckText("Reason", d.Reason, 500); err != nil {
		return err
	}
	return s.update(ctx, func(t *txn) error {
		if err := requireLibrary(ctx, t, d.BranchID); err != nil {
			return err
		}
		_, err := t.emit(ctx, KindClosedSet, fieldsOp{Key: map[string]any{"branch_id": d.BranchID, "date": d.Date},
			Fields: map[string]any{"closed": d.Closed, "reason": d.Reason}})
		return err
	})
}

// Calendar returns a branch's calendar for a date range.
func (s *Service) Calendar(ctx context.Context, branch, from, to string) (*domain.Calendar, error) {
	q := s.db.Read()
	if err := requireLibrary(ctx, q, branch); err != nil {
		return nil, err
	}
	f, err := domain.ParseDate(from)
	if err != nil {
		return nil, err
	}
	tt, err := domain.ParseDate(to)
	if err != nil {
		return nil, err
	}
	if tt.Before(f) || tt.Sub(f) > 366*24*time.Hour {
		return nil, domain.Invalid("The date range must run forwards and span at most a year.")
	}
	cal, err := loadCalendar(ctx, q, branch)
	if err != nil {
		return nil, err
	}
	out := &domain.Calendar{BranchID: branch, Hours: []domain.OpeningHours{}}
	rows, err := q.QueryContext(ctx, `SELECT weekday, opens, closes FROM opening_hours WHERE branch_id=? ORDER BY weekday`, branch)
	if err != nil {
		return nil, err
	}
	hours := map[int]domain.OpeningHours{}
	for rows.Next() {
		h := domain.OpeningHours{BranchID: branch}
		if err := rows.Scan(&h.Weekday, &h.Opens, &h.Closes); err != nil {
			rows.Close()
			return nil, err
		}
		out.Hours = append(out.Hours, h)
		hours[h.Weekday] = h
	}
	rows.Close()
	reasons := map[string]string{}
	rows, err = q.QueryContext(ctx, `SELECT date, reason FROM closed_days WHERE branch_id=? AND date BETWEEN ? AND ?`, branch, from, to)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var d, r string
		if err := rows.Scan(&d, &r); err != nil {
			rows.Close()
			return nil, err
		}
		reasons[d] = r
	}
	rows.Close()
	for d := f; !d.After(tt); d = d.AddDate(0, 0, 1) {
		cd := domain.CalendarDay{Date: d.Format(domain.DateLayout), Open: cal.open(d), Reason: reasons[d.Format(domain.DateLayout)]}
		if cd.Open {
			h := hours[int(d.Weekday())]
			cd.Opens, cd.Closes = h.Opens, h.Closes
		}
		out.Days = append(out.Days, cd)
	}
	return out, nil
}
