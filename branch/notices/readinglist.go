package notices

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// The monthly personal reading list: for a patron who opted in
// (domain.NoticeReadingList), once a month, the titles added to the
// catalogue in the last 31 days that share an author or a subject with
// what they borrowed. A month with nothing to suggest sends nothing (the
// notice is recorded dropped, so it is not looked for again).

// maxReadingList bounds the titles in one list.
const maxReadingList = 10

// readingLists are the candidates of the patrons who opted in: one a month.
func (e *evaluation) readingLists(ctx context.Context, q replicate.Querier, _ *evaluation, patronID string, emit func(candidate) error) error {
	month := e.today[:7]
	var ids []string
	for id, p := range e.prefs {
		if slices.Contains(p.Notices, domain.NoticeReadingList) && (patronID == "" || id == patronID) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		var br string
		if err := q.QueryRowContext(ctx, `SELECT home_branch FROM patrons WHERE patron_id=? AND registered_at<>''`, id).Scan(&br); err != nil {
			continue // not (or no longer) a patron here
		}
		if err := emit(candidate{Base: baseKey(KindReadingList, id, month), Kind: KindReadingList, PatronID: id, Subject: id,
			Occurrence: month, BranchID: br, Date: e.today}); err != nil {
			return err
		}
	}
	return nil
}

// arrival is a title new in the catalogue.
type arrival struct {
	id, title string
	authors   []string
	subjects  []string
}

// newArrivals are the titles whose first field was written in the 31 days
// before now (by the stamps of the replicated record, the same on every
// node), newest first.
func newArrivals(ctx context.Context, q replicate.Querier, now time.Time) ([]arrival, error) {
	since := now.Add(-31 * 24 * time.Hour)
	rows, err := q.QueryContext(ctx, `SELECT biblio_id, title, authors, subjects, clocks FROM biblios WHERE title<>''`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type dated struct {
		a arrival
		t time.Time
	}
	var out []dated
	for rows.Next() {
		var a arrival
		var authors, subjects string
		var clocks []byte
		if err := rows.Scan(&a.id, &a.title, &authors, &subjects, &clocks); err != nil {
			return nil, err
		}
		t, ok := firstWritten(clocks)
		if !ok || t.Before(since) || t.After(now) {
			continue
		}
		json.Unmarshal([]byte(authors), &a.authors)
		json.Unmarshal([]byte(subjects), &a.subjects)
		out = append(out, dated{a, t})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(x, y dated) int { return y.t.Compare(x.t) })
	as := make([]arrival, len(out))
	for i, d := range out {
		as[i] = d.a
	}
	return as, nil
}

// firstWritten is the time of the earliest stamp in a row's stored clocks
// (16 hex digits of HLC then the origin).
func firstWritten(clocks []byte) (time.Time, bool) {
	first, err := branch.EarliestStamp("biblios", clocks)
	if err != nil || len(first) < 16 {
		return time.Time{}, false
	}
	h, err := strconv.ParseUint(first[:16], 16, 64)
	if err != nil {
		return time.Time{}, false
	}
	return replicate.Timestamp(h).Time(), true
}

// readingList picks the new arrivals like what the patron borrowed.
func readingList(ctx context.Context, q replicate.Querier, patronID string, arrivals []arrival) ([]Line, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT b.biblio_id, b.authors, b.subjects FROM loans l JOIN items i ON i.item_id=l.item_id
		JOIN biblios b ON b.biblio_id=i.biblio_id WHERE l.patron_id=?`, patronID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	read := map[string]bool{}
	likes := map[string]bool{}
	for rows.Next() {
		var id, authors, subjects string
		if err := rows.Scan(&id, &authors, &subjects); err != nil {
			return nil, err
		}
		read[id] = true
		var xs []string
		json.Unmarshal([]byte(authors), &xs)
		for _, x := range xs {
			likes["a:"+strings.ToLower(x)] = true
		}
		xs = nil
		json.Unmarshal([]byte(subjects), &xs)
		for _, x := range xs {
			likes["s:"+strings.ToLower(x)] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []Line
	for _, a := range arrivals {
		if read[a.id] || len(out) >= maxReadingList {
			continue
		}
		match := false
		for _, x := range a.authors {
			match = match || likes["a:"+strings.ToLower(x)]
		}
		for _, x := range a.subjects {
			match = match || likes["s:"+strings.ToLower(x)]
		}
		if match {
			l := Line{BiblioID: a.id, Title: a.title}
			if len(a.authors) > 0 {
				l.Author = a.authors[0]
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// Suggester suggests titles to a patron from what patrons borrowed
// together (branch/recommend), read through q; it answers nothing for a
// patron who has not turned suggestions on.
type Suggester interface {
	Suggest(ctx context.Context, q replicate.Querier, patronID string, n int) ([]*domain.Recommendation, error)
}

// suggested fills the reading list up to maxReadingList with sg's
// suggestions (if any) that are not on it already.
func suggested(ctx context.Context, sg Suggester, q replicate.Querier, patronID string, lines []Line) ([]Line, error) {
	if sg == nil || len(lines) >= maxReadingList {
		return lines, nil
	}
	rs, err := sg.Suggest(ctx, q, patronID, maxReadingList)
	if err != nil {
		return lines, err
	}
	for _, r := range rs {
		if len(lines) >= maxReadingList {
			break
		}
		if slices.ContainsFunc(lines, func(l Line) bool { return l.BiblioID == r.BiblioID }) {
			continue
		}
		l := Line{BiblioID: r.BiblioID, Title: r.Title}
		if len(r.Authors) > 0 {
			l.Author = r.Authors[0]
		}
		lines = append(lines, l)
	}
	return lines, nil
}
