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

// workOf is a result's work: its matched editions (best first), formats
// and where a copy is on the shelf. Called with x.mu read-locked.
func (x *Index) workOf(ctx context.Context, w *workHit) (domain.Work, error) {
	docs := slices.Clone(w.docs)
	slices.SortFunc(docs, func(a, b uint32) int {
		ha, hb := hit{a, 0}, hit{b, 0}
		if x.better(ha, hb) {
			return -1
		}
		if x.better(hb, ha) {
			return 1
		}
		return 0
	})
	if i := slices.Index(docs, w.best.doc); i > 0 {
		docs = append([]uint32{w.best.doc}, slices.Delete(docs, i, i+1)...)
	}
	out := domain.Work{Formats: []string{}, AvailableAt: []string{}}
	// Memory keeps only the works' ids; the key is on the document's row.
	if err := x.db.QueryRowContext(ctx, `SELECT work FROM search_docs WHERE doc=?`, w.best.doc).Scan(&out.WorkID); err != nil {
		return out, fmt.Errorf("search: work of %d: %w", w.best.doc, err)
	}
	var avail branchSet
	for _, n := range docs {
		d := &x.docs[n]
		if f := x.formats.val(uint32(d.format)); !slices.Contains(out.Formats, f) {
			out.Formats = append(out.Formats, f)
		}
		avail[0] |= d.avail[0]
		avail[1] |= d.avail[1]
		out.Online = out.Online || d.anywhere
		out.Popularity += int(d.popularity)
	}
	avail.each(func(i int) { out.AvailableAt = append(out.AvailableAt, x.branches.val(uint32(i))) })
	slices.Sort(out.AvailableAt)
	eds, err := x.biblios(ctx, docs)
	if err != nil {
		return out, err
	}
	out.Editions = eds
	if len(eds) > 0 {
		out.Title = eds[0].Title
		if len(eds[0].Authors) > 0 {
			out.Author = eds[0].Authors[0]
		}
	}
	return out, nil
}

// biblios reads the titles of docs, in that order.
func (x *Index) biblios(ctx context.Context, docs []uint32) ([]*domain.Biblio, error) {
	ns := make([]string, len(docs))
	for i, d := range docs {
		ns[i] = fmt.Sprint(d)
	}
	rows, err := x.db.QueryContext(ctx, `SELECT d.doc, d.biblio_id FROM json_each(?) AS j CROSS JOIN search_docs AS d ON d.doc=j.value`,
		replicate.JSONList(ns))
	if err != nil {
		return nil, err
	}
	ids := map[uint32]string{}
	for rows.Next() {
		var n uint32
		var id string
		if err := rows.Scan(&n, &id); err != nil {
			rows.Close()
			return nil, err
		}
		ids[n] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*domain.Biblio, 0, len(docs))
	for _, d := range docs {
		b, err := x.svc.Biblio(ctx, ids[d])
		var de *domain.Error
		if errors.As(err, &de) {
			continue // gone since it was indexed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b)
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
