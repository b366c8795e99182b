package insight

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
)

// Filter chooses what a report covers: library days From to To (both
// included, YYYY-MM-DD) and one branch, or every branch when LibraryID is
// empty.
type Filter struct {
	From, To  string
	LibraryID string
}

// MaxDays is the longest period a report covers.
const MaxDays = 3700

// Check validates the filter.
func (f Filter) Check() error {
	from, err1 := time.Parse(domain.DateLayout, f.From)
	to, err2 := time.Parse(domain.DateLayout, f.To)
	if err1 != nil || err2 != nil {
		return domain.Invalid("from and to are dates, YYYY-MM-DD.")
	}
	if to.Before(from) {
		return domain.Invalid("to (%s) is before from (%s).", f.To, f.From)
	}
	if to.Sub(from) > MaxDays*24*time.Hour {
		return domain.Invalid("A period is at most %d days.", MaxDays)
	}
	return nil
}

// Count is one counter: a metric at a branch, through a channel, in an
// hour of a library day.
type Count struct {
	Date      string `json:"date"`
	Hour      int    `json:"hour"`
	LibraryID string `json:"library_id"`
	Channel   string `json:"channel"`
	Metric    string `json:"metric"`
	N         int    `json:"n"`
}

// Counts are the counters of the filter's period, by date, hour, branch,
// channel and metric.
func Counts(ctx context.Context, q replicate.Querier, f Filter) ([]Count, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	query := `SELECT day, hour, branch_id, channel, metric, n FROM insight_counts WHERE day BETWEEN ? AND ?`
	args := []any{f.From, f.To}
	if f.LibraryID != "" {
		query += ` AND branch_id=?`
		args = append(args, f.LibraryID)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY day, hour, branch_id, channel, metric`, args...)
	if err != nil {
		return nil, fmt.Errorf("insight: counts: %w", err)
	}
	defer rows.Close()
	out := []Count{}
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Date, &c.Hour, &c.LibraryID, &c.Channel, &c.Metric, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Figures are a set of counts by metric, with the circulation
// transactions split into self-served and desk.
type Figures struct {
	Loans         int `json:"loans"`
	Returns       int `json:"returns"`
	Renewals      int `json:"renewals"`
	Registrations int `json:"registrations"`
	HoldsPlaced   int `json:"holds_placed"`
	HoldsReady    int `json:"holds_ready"`
	// Handoffs between channels: codes issued and used.
	HandoffsStarted   int `json:"handoffs_started"`
	HandoffsCompleted int `json:"handoffs_completed"`
	// SelfServed are loans, returns and renewals at a kiosk, on the web or
	// in an app; Desk those at the desk.
	SelfServed int `json:"self_served"`
	Desk       int `json:"desk"`
	// SelfServedShare is SelfServed / (SelfServed + Desk), nil (absent
	// in JSON) if there are none; so are the other ratios with nothing to
	// divide by.
	SelfServedShare *float64 `json:"self_served_share,omitempty"`
	// Searches on the patron web and API, those followed by a title view
	// or a hold, and the share of them (search success).
	Searches          int      `json:"searches"`
	SearchSuccesses   int      `json:"search_successes"`
	SearchSuccessRate *float64 `json:"search_success_rate,omitempty"`
}

// Add counts c into the figures.
func (g *Figures) Add(c Count) {
	switch c.Metric {
	case MetricLoans:
		g.Loans += c.N
	case MetricReturns:
		g.Returns += c.N
	case MetricRenewals:
		g.Renewals += c.N
	case MetricRegistrations:
		g.Registrations += c.N
	case MetricHoldsPlaced:
		g.HoldsPlaced += c.N
	case MetricHoldsReady:
		g.HoldsReady += c.N
	case MetricHandoffsStarted:
		g.HandoffsStarted += c.N
	case MetricHandoffsCompleted:
		g.HandoffsCompleted += c.N
	case MetricSearches:
		g.Searches += c.N
	case MetricSearchSuccesses:
		g.SearchSuccesses += c.N
	}
	if c.Metric == MetricLoans || c.Metric == MetricReturns || c.Metric == MetricRenewals {
		if slices.Contains(SelfServiceChannels, c.Channel) {
			g.SelfServed += c.N
		} else if c.Channel == string(domain.ChannelDesk) {
			g.Desk += c.N
		}
	}
}

// Finish works out the share once every count is added.
func (g *Figures) Finish() {
	g.SelfServedShare = ratio(g.SelfServed, g.SelfServed+g.Desk)
	g.SearchSuccessRate = ratio(g.SearchSuccesses, g.Searches)
}

// Transactions are loans, returns and renewals.
func (g Figures) Transactions() int { return g.Loans + g.Returns + g.Renewals }

func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	r := math.Round(float64(num)/float64(den)*10000) / 10000
	return &r
}

// Keyed are figures of one date, hour, branch or channel.
type Keyed struct {
	Key string `json:"key"`
	Figures
}

// HoldFigures are the holds of a period: placed, and the statuses they
// reached in it.
type HoldFigures struct {
	Placed       int `json:"placed"`
	Ready        int `json:"ready"`
	Fulfilled    int `json:"fulfilled"`
	ShelfExpired int `json:"shelf_expired"`
	Expired      int `json:"expired"`
	Cancelled    int `json:"cancelled"`
	// FillRate is Ready / Placed; ShelfExpiryRate ShelfExpired / Ready.
	FillRate        *float64 `json:"fill_rate,omitempty"`
	ShelfExpiryRate *float64 `json:"shelf_expiry_rate,omitempty"`
	// Days from placing to ready, of the holds ready in the period
	// (nearest-rank percentiles, whole days).
	DaysToFillP50  *int     `json:"days_to_fill_p50,omitempty"`
	DaysToFillP90  *int     `json:"days_to_fill_p90,omitempty"`
	DaysToFillMax  *int     `json:"days_to_fill_max,omitempty"`
	DaysToFillMean *float64 `json:"days_to_fill_mean,omitempty"`
}

// PeriodCount is the number of patrons active on two or more channels in
// a day (YYYY-MM-DD) or a month (YYYY-MM).
type PeriodCount struct {
	Period string `json:"period"`
	N      int    `json:"patrons"`
}

// Report is the figures of a period: totals, per day, hour of the day,
// branch and channel, holds, and patrons active on several channels.
type Report struct {
	From      string      `json:"from"`
	To        string      `json:"to"`
	LibraryID string      `json:"library_id,omitempty"`
	Total     Figures     `json:"total"`
	Days      []Keyed     `json:"days"`
	Hours     []Keyed     `json:"hours"`
	Branches  []Keyed     `json:"branches"`
	Channels  []Keyed     `json:"channels"`
	Holds     HoldFigures `json:"holds"`
	// HandoffDropOff is the share of the handoffs started in the period
	// that were not completed in it (library-wide; a handoff starts on
	// one channel and ends on another), absent if none started.
	HandoffDropOff *float64 `json:"handoff_drop_off,omitempty"`
	// Patrons active on two or more channels, library-wide (not per
	// branch: a patron belongs to none), per day and per month that
	// overlaps the period.
	MultichannelDays   []PeriodCount `json:"multichannel_days"`
	MultichannelMonths []PeriodCount `json:"multichannel_months"`
	// Collection turnover: loans in the period of the items of a format
	// against the items of that format held now, per format (of the
	// report's branch, or of every branch) and per branch and format.
	Turnover         []Turnover `json:"turnover"`
	TurnoverBranches []Turnover `json:"turnover_branches"`
}

// Turnover is a format's collection turnover at a branch (LibraryID "":
// every branch the report covers): the loans in the period of the items
// the branch owns (their home branch), and the items held now (not
// withdrawn, not lost). Format "" is an item whose title is not known on
// this node.
type Turnover struct {
	LibraryID string `json:"library_id,omitempty"`
	Format    string `json:"format"`
	Loans     int    `json:"loans"`
	Held      int    `json:"held"`
	// Rate is Loans / Held, absent when none is held.
	Rate *float64 `json:"turnover,omitempty"`
}

// Build reads the report of f from the counters: a range of aggregate
// rows, never the op log.
func Build(ctx context.Context, q replicate.Querier, f Filter) (*Report, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	// Three sums in SQL (by day and by branch over the daily rows, by hour
	// over the hourly ones; each with channel and metric) rather than
	// every row into Go.
	byDay, err := grouped(ctx, q, f, "insight_daily", "day")
	if err != nil {
		return nil, err
	}
	byHour, err := hourSums(ctx, q, f)
	if err != nil {
		return nil, err
	}
	byBranch, err := grouped(ctx, q, f, "insight_daily", "branch_id")
	if err != nil {
		return nil, err
	}
	r := &Report{From: f.From, To: f.To, LibraryID: f.LibraryID}
	days := map[string]*Figures{}
	hours := make([]Figures, 24)
	branches := map[string]*Figures{}
	channels := map[string]*Figures{}
	at := func(m map[string]*Figures, k string) *Figures {
		if m[k] == nil {
			m[k] = &Figures{}
		}
		return m[k]
	}
	for _, c := range byDay {
		r.Total.Add(c)
		at(days, c.Date).Add(c)
		at(channels, c.Channel).Add(c)
		switch c.Metric {
		case MetricHoldsPlaced:
			r.Holds.Placed += c.N
		case MetricHoldsReady:
			r.Holds.Ready += c.N
		case MetricHoldsFulfilled:
			r.Holds.Fulfilled += c.N
		case MetricHoldsShelfExpired:
			r.Holds.ShelfExpired += c.N
		case MetricHoldsExpired:
			r.Holds.Expired += c.N
		case MetricHoldsCancelled:
			r.Holds.Cancelled += c.N
		}
	}
	for _, c := range byHour {
		if c.Hour >= 0 && c.Hour < 24 {
			hours[c.Hour].Add(c)
		}
	}
	for _, c := range byBranch {
		at(branches, c.LibraryID).Add(c)
	}
	r.Total.Finish()
	r.HandoffDropOff = ratio(max(0, r.Total.HandoffsStarted-r.Total.HandoffsCompleted), r.Total.HandoffsStarted)
	r.Days = keyed(days, everyDay(f.From, f.To))
	for h := range hours {
		hours[h].Finish()
		r.Hours = append(r.Hours, Keyed{Key: fmt.Sprintf("%02d", h), Figures: hours[h]})
	}
	r.Branches = keyed(branches, nil)
	r.Channels = keyed(channels, nil)
	r.Holds.FillRate = ratio(r.Holds.Ready, r.Holds.Placed)
	r.Holds.ShelfExpiryRate = ratio(r.Holds.ShelfExpired, r.Holds.Ready)
	if err := fillDays(ctx, q, f, &r.Holds); err != nil {
		return nil, err
	}
	if r.MultichannelDays, r.MultichannelMonths, err = multichannel(ctx, q, f); err != nil {
		return nil, err
	}
	if r.Turnover, r.TurnoverBranches, err = turnover(ctx, q, f); err != nil {
		return nil, err
	}
	return r, nil
}

// turnover reads the period's loans per owning branch and format and the
// items held now: a few aggregate rows, never the items or the loans.
func turnover(ctx context.Context, q replicate.Querier, f Filter) (formats, branches []Turnover, err error) {
	type key struct{ branch, format string }
	m := map[key]*Turnover{}
	at := func(k key) *Turnover {
		if m[k] == nil {
			m[k] = &Turnover{LibraryID: k.branch, Format: k.format}
		}
		return m[k]
	}
	where, args := ` WHERE day BETWEEN ? AND ?`, []any{f.From, f.To}
	held, hargs := ` WHERE n<>0`, []any{}
	if f.LibraryID != "" {
		where += ` AND branch_id=?`
		args = append(args, f.LibraryID)
		held += ` AND branch_id=?`
		hargs = append(hargs, f.LibraryID)
	}
	read := func(query string, args []any, add func(t *Turnover, n int)) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("insight: turnover: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k key
			var n int
			if err := rows.Scan(&k.branch, &k.format, &n); err != nil {
				return err
			}
			add(at(k), n)
		}
		return rows.Err()
	}
	if err := read(`SELECT branch_id, format, sum(n) FROM insight_turnover`+where+` GROUP BY branch_id, format`, args,
		func(t *Turnover, n int) { t.Loans += n }); err != nil {
		return nil, nil, err
	}
	if err := read(`SELECT branch_id, format, n FROM insight_held`+held, hargs, func(t *Turnover, n int) { t.Held += n }); err != nil {
		return nil, nil, err
	}
	byFormat := map[string]*Turnover{}
	branches = []Turnover{}
	for _, t := range m {
		if t.Loans == 0 && t.Held == 0 {
			continue
		}
		t.Rate = ratio(t.Loans, t.Held)
		branches = append(branches, *t)
		if byFormat[t.Format] == nil {
			byFormat[t.Format] = &Turnover{LibraryID: f.LibraryID, Format: t.Format}
		}
		byFormat[t.Format].Loans += t.Loans
		byFormat[t.Format].Held += t.Held
	}
	formats = []Turnover{}
	for _, t := range byFormat {
		t.Rate = ratio(t.Loans, t.Held)
		formats = append(formats, *t)
	}
	byKey := func(a, b Turnover) int {
		if a.LibraryID != b.LibraryID {
			return strings.Compare(a.LibraryID, b.LibraryID)
		}
		return strings.Compare(a.Format, b.Format)
	}
	slices.SortFunc(branches, byKey)
	slices.SortFunc(formats, byKey)
	return formats, branches, nil
}

// hourSums sums the period's counters by hour of the day, channel and
// metric: its whole months from insight_hourly, the days of its partial
// months from insight_counts.
func hourSums(ctx context.Context, q replicate.Querier, f Filter) ([]Count, error) {
	from, _ := time.Parse(domain.DateLayout, f.From)
	to, _ := time.Parse(domain.DateLayout, f.To)
	var months []string
	var parts []Filter
	for cur := from; !cur.After(to); {
		first := time.Date(cur.Year(), cur.Month(), 1, 0, 0, 0, 0, time.UTC)
		last := first.AddDate(0, 1, -1)
		if cur.Equal(first) && !last.After(to) {
			months = append(months, cur.Format("2006-01"))
		} else {
			end := last
			if end.After(to) {
				end = to
			}
			parts = append(parts, Filter{From: cur.Format(domain.DateLayout), To: end.Format(domain.DateLayout), LibraryID: f.LibraryID})
		}
		cur = last.AddDate(0, 0, 1)
	}
	var out []Count
	for _, p := range parts {
		cs, err := grouped(ctx, q, p, "insight_counts", "hour")
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	if len(months) > 0 {
		query := `SELECT hour, channel, metric, sum(n) FROM insight_hourly WHERE month BETWEEN ? AND ?`
		args := []any{months[0], months[len(months)-1]}
		if f.LibraryID != "" {
			query += ` AND branch_id=?`
			args = append(args, f.LibraryID)
		}
		rows, err := q.QueryContext(ctx, query+` GROUP BY hour, channel, metric`, args...)
		if err != nil {
			return nil, fmt.Errorf("insight: sums by hour: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var c Count
			if err := rows.Scan(&c.Hour, &c.Channel, &c.Metric, &c.N); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// grouped sums the period's counters of table by col (day, hour or
// branch_id), channel and metric.
func grouped(ctx context.Context, q replicate.Querier, f Filter, table, col string) ([]Count, error) {
	query := `SELECT ` + col + `, channel, metric, sum(n) FROM ` + table + ` WHERE day BETWEEN ? AND ?`
	args := []any{f.From, f.To}
	if f.LibraryID != "" {
		query += ` AND branch_id=?`
		args = append(args, f.LibraryID)
	}
	rows, err := q.QueryContext(ctx, query+` GROUP BY `+col+`, channel, metric`, args...)
	if err != nil {
		return nil, fmt.Errorf("insight: sums by %s: %w", col, err)
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		var key any
		if err := rows.Scan(&key, &c.Channel, &c.Metric, &c.N); err != nil {
			return nil, err
		}
		switch col {
		case "day":
			c.Date, _ = key.(string)
		case "hour":
			h, _ := key.(int64)
			c.Hour = int(h)
		default:
			c.LibraryID, _ = key.(string)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// keyed lists m's figures by key (all of keys, in their order, if given;
// else m's keys sorted).
func keyed(m map[string]*Figures, keys []string) []Keyed {
	if keys == nil {
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	out := make([]Keyed, 0, len(keys))
	for _, k := range keys {
		g := Figures{}
		if m[k] != nil {
			g = *m[k]
		}
		g.Finish()
		out = append(out, Keyed{Key: k, Figures: g})
	}
	return out
}

// everyDay lists the dates from..to.
func everyDay(from, to string) []string {
	f, _ := time.Parse(domain.DateLayout, from)
	t, _ := time.Parse(domain.DateLayout, to)
	var out []string
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(domain.DateLayout))
	}
	return out
}

// fillDays reads the days-to-fill histogram of the period.
func fillDays(ctx context.Context, q replicate.Querier, f Filter, h *HoldFigures) error {
	query := `SELECT days, sum(n) FROM insight_fill WHERE day BETWEEN ? AND ?`
	args := []any{f.From, f.To}
	if f.LibraryID != "" {
		query += ` AND branch_id=?`
		args = append(args, f.LibraryID)
	}
	rows, err := q.QueryContext(ctx, query+` GROUP BY days ORDER BY days`, args...)
	if err != nil {
		return fmt.Errorf("insight: fill: %w", err)
	}
	defer rows.Close()
	type bin struct{ days, n int }
	var bins []bin
	total, sum := 0, 0
	for rows.Next() {
		var b bin
		if err := rows.Scan(&b.days, &b.n); err != nil {
			return err
		}
		if b.n <= 0 {
			continue
		}
		bins = append(bins, b)
		total += b.n
		sum += b.days * b.n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if total == 0 {
		return nil
	}
	rank := func(p float64) *int {
		need := int(math.Ceil(p * float64(total)))
		acc := 0
		for _, b := range bins {
			acc += b.n
			if acc >= need {
				d := b.days
				return &d
			}
		}
		d := bins[len(bins)-1].days
		return &d
	}
	h.DaysToFillP50, h.DaysToFillP90 = rank(0.5), rank(0.9)
	mx := bins[len(bins)-1].days
	h.DaysToFillMax = &mx
	mean := math.Round(float64(sum)/float64(total)*100) / 100
	h.DaysToFillMean = &mean
	return nil
}

// multichannel reads the patrons active on two or more channels per day
// of the period and per month overlapping it.
func multichannel(ctx context.Context, q replicate.Querier, f Filter) (days, months []PeriodCount, err error) {
	read := func(lo, hi string) ([]PeriodCount, error) {
		rows, err := q.QueryContext(ctx, `SELECT period, n FROM insight_multi WHERE period BETWEEN ? AND ? ORDER BY period`, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("insight: multichannel: %w", err)
		}
		defer rows.Close()
		out := []PeriodCount{}
		for rows.Next() {
			var p PeriodCount
			if err := rows.Scan(&p.Period, &p.N); err != nil {
				return nil, err
			}
			p.Period = p.Period[1:]
			out = append(out, p)
		}
		return out, rows.Err()
	}
	if days, err = read("D"+f.From, "D"+f.To); err != nil {
		return nil, nil, err
	}
	months, err = read("M"+f.From[:7], "M"+f.To[:7])
	return days, months, err
}
