package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"stacks/branch/domain"
	"stacks/replicate"
)

// worksOf is a page of results: each work's matched editions (best
// first), formats and where a copy is on the shelf, the titles of the
// whole page read in two queries. Called with x.mu read-locked.
func (x *Index) worksOf(ctx context.Context, page []*workHit) ([]domain.Work, error) {
	var all []uint32
	for _, w := range page {
		slices.SortFunc(w.docs, func(a, b uint32) int {
			ha, hb := hit{a, 0}, hit{b, 0}
			if x.better(ha, hb) {
				return -1
			}
			if x.better(hb, ha) {
				return 1
			}
			return 0
		})
		if i := slices.Index(w.docs, w.best.doc); i > 0 {
			w.docs = append([]uint32{w.best.doc}, slices.Delete(w.docs, i, i+1)...)
		}
		all = append(all, w.docs...)
	}
	// Memory keeps only the works' ids; the key is on the document's row.
	rows, err := x.rowsOf(ctx, all)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(all))
	for _, r := range rows {
		ids = append(ids, r.biblio)
	}
	bs, err := x.svc.BibliosByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Work, 0, len(page))
	for _, w := range page {
		wk := domain.Work{Formats: []string{}, AvailableAt: []string{}, WorkID: rows[w.best.doc].work}
		var avail branchSet
		for _, n := range w.docs {
			d := &x.docs[n]
			if f := x.formats.val(uint32(d.format)); !slices.Contains(wk.Formats, f) {
				wk.Formats = append(wk.Formats, f)
			}
			avail[0] |= d.avail[0]
			avail[1] |= d.avail[1]
			wk.Online = wk.Online || d.anywhere
			wk.Popularity += int(d.popularity)
			if b := bs[rows[n].biblio]; b != nil {
				wk.Editions = append(wk.Editions, b) // else gone since it was indexed
			}
		}
		avail.each(func(i int) { wk.AvailableAt = append(wk.AvailableAt, x.branches.val(uint32(i))) })
		slices.Sort(wk.AvailableAt)
		if len(wk.Editions) > 0 {
			wk.Title = wk.Editions[0].Title
			if len(wk.Editions[0].Authors) > 0 {
				wk.Author = wk.Editions[0].Authors[0]
			}
		} else {
			wk.Editions = []*domain.Biblio{}
		}
		out = append(out, wk)
	}
	return out, nil
}

type docRow struct{ biblio, work string }

// rowsOf reads the title id and work key of docs.
func (x *Index) rowsOf(ctx context.Context, docs []uint32) (map[uint32]docRow, error) {
	if len(docs) == 0 {
		return map[uint32]docRow{}, nil
	}
	rows, err := x.db.QueryContext(ctx, `SELECT doc, biblio_id, work FROM search_docs WHERE doc IN (SELECT value FROM json_each(?))`,
		replicate.JSONList(docs))
	if err != nil {
		return nil, fmt.Errorf("search: titles of a page: %w", err)
	}
	defer rows.Close()
	out := make(map[uint32]docRow, len(docs))
	for rows.Next() {
		var n uint32
		var r docRow
		if err := rows.Scan(&n, &r.biblio, &r.work); err != nil {
			return nil, err
		}
		out[n] = r
	}
	return out, rows.Err()
}

// biblios reads the titles of docs, in that order.
func (x *Index) biblios(ctx context.Context, docs []uint32) ([]*domain.Biblio, error) {
	rows, err := x.rowsOf(ctx, docs)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(docs))
	for _, r := range rows {
		ids = append(ids, r.biblio)
	}
	bs, err := x.svc.BibliosByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*domain.Biblio, 0, len(docs))
	for _, d := range docs {
		if b := bs[rows[d].biblio]; b != nil {
			out = append(out, b) // else gone since it was indexed
		}
	}
	return out, nil
}

// Editions returns every edition and format of the work biblioID belongs
// to (itself included), most popular first, for the title page.
func (x *Index) Editions(ctx context.Context, biblioID string) ([]*domain.Biblio, error) {
	if err := x.searchSync(ctx); err != nil {
		return nil, err
	}
	var work string
	err := x.db.QueryRowContext(ctx, `SELECT work FROM search_docs WHERE biblio_id=? AND gone=0`, biblioID).Scan(&work)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodeBiblioNotFound, "No title with id %s.", biblioID)
	}
	if err != nil {
		return nil, err
	}
	rows, err := x.db.QueryContext(ctx, `SELECT doc FROM search_docs WHERE work=? AND gone=0`, work)
	if err != nil {
		return nil, err
	}
	var docs []uint32
	for rows.Next() {
		var n uint32
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		docs = append(docs, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	slices.SortFunc(docs, func(a, b uint32) int {
		if int(a) < len(x.docs) && int(b) < len(x.docs) {
			if x.better(hit{a, 0}, hit{b, 0}) {
				return -1
			}
			if x.better(hit{b, 0}, hit{a, 0}) {
				return 1
			}
		}
		return 0
	})
	return x.biblios(ctx, docs)
}
