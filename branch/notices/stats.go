package notices

import (
	"context"
	"sort"
	"time"

	"stacks/branch/domain"
)

// StatsRow counts the notices of one kind through one channel claimed in
// a period. Delivered is sent less bounced (a relay accepted it and no
// bounce came back); the rates are of those delivered.
type StatsRow struct {
	Kind      string  `json:"kind"`
	Channel   string  `json:"channel"`
	Notices   int     `json:"notices"`
	Sent      int     `json:"sent"`
	Delivered int     `json:"delivered"`
	Failed    int     `json:"failed"`
	Unknown   int     `json:"unknown"`
	Dropped   int     `json:"dropped"`
	Pending   int     `json:"pending"` // claimed, sending or to retry
	Opened    int     `json:"opened"`
	Clicked   int     `json:"clicked"`
	Bounced   int     `json:"bounced"`
	OpenRate  float64 `json:"open_rate"`
	ClickRate float64 `json:"click_rate"`
}

// NoticeStats are the counts of a period: per kind and channel, and all
// together.
type NoticeStats struct {
	From  string     `json:"from"`
	To    string     `json:"to"`
	Rows  []StatsRow `json:"rows"`
	Total StatsRow   `json:"total"`
}

// Stats counts the notices claimed from the start of the library day from
// to the end of the day to (YYYY-MM-DD, the library's time zone; to
// included), per kind and channel, with open and click rates. It reads a
// range of the notices_stats index, not the whole history.
func (e *Engine) Stats(ctx context.Context, from, to string) (*NoticeStats, error) {
	loc := e.svc.Now().Location()
	f, err1 := time.ParseInLocation(domain.DateLayout, from, loc)
	t, err2 := time.ParseInLocation(domain.DateLayout, to, loc)
	if err1 != nil || err2 != nil {
		return nil, domain.Invalid("from and to are dates, YYYY-MM-DD.")
	}
	if t.Before(f) {
		return nil, domain.Invalid("to (%s) is before from (%s).", to, from)
	}
	if t.Sub(f) > 3700*24*time.Hour {
		return nil, domain.Invalid("A period is at most ten years.")
	}
	lo := f.UTC().Format(domain.TimeLayout)
	hi := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc).UTC().Format(domain.TimeLayout)
	rows, err := e.svc.Read().QueryContext(ctx, `SELECT kind, channel, count(*),
		sum(status='sent'), sum(status='sent' AND bounced_at=''), sum(status='failed'), sum(status='unknown'), sum(status='dropped'),
		sum(status IN ('claimed','sending','retry')), sum(opened_at<>''), sum(clicked_at<>''), sum(bounced_at<>'')
		FROM notices INDEXED BY notices_stats WHERE claimed_at>=? AND claimed_at<? GROUP BY kind, channel`, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &NoticeStats{From: from, To: to, Rows: []StatsRow{}, Total: StatsRow{Kind: "*", Channel: "*"}}
	for rows.Next() {
		var r StatsRow
		if err := rows.Scan(&r.Kind, &r.Channel, &r.Notices, &r.Sent, &r.Delivered, &r.Failed, &r.Unknown, &r.Dropped, &r.Pending,
			&r.Opened, &r.Clicked, &r.Bounced); err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, r)
		tt := &out.Total
		tt.Notices += r.Notices
		tt.Sent += r.Sent
		tt.Delivered += r.Delivered
		tt.Failed += r.Failed
		tt.Unknown += r.Unknown
		tt.Dropped += r.Dropped
		tt.Pending += r.Pending
		tt.Opened += r.Opened
		tt.Clicked += r.Clicked
		tt.Bounced += r.Bounced
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out.Rows {
		out.Rows[i].rates()
	}
	out.Total.rates()
	sort.Slice(out.Rows, func(i, j int) bool {
		a, b := out.Rows[i], out.Rows[j]
		return a.Kind < b.Kind || (a.Kind == b.Kind && a.Channel < b.Channel)
	})
	return out, nil
}

func (r *StatsRow) rates() {
	if r.Delivered > 0 {
		r.OpenRate = float64(r.Opened) / float64(r.Delivered)
		r.ClickRate = float64(r.Clicked) / float64(r.Delivered)
	}
}
