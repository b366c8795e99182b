package search

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/marc"
	"stacks/replicate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Version is the index's schema and derivation version: an index built by
// another version is rebuilt at Open.
const Version = 1

// popularityWindow is how far back a loan counts towards a title's
// popularity.
const popularityWindow = 365 * 24 * time.Hour

// querier is a transaction: the applier's (*replicate.Tx) or a command's.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Capability is the search index as the applier sees it: its tables
// (migrations of set "search") and a Touched hook that records, in the
// applying transaction, the titles and copies a batch of ops touched
// (search_dirty); Index.Search re-derives them before it answers. It has
// no ops and no state tables: the index is local and never replicated.
func Capability() branch.Capability {
	ms, err := replicate.MigrationsFromFS("search", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	return branch.Capability{
		Name:       "search",
		Migrations: ms,
		Touched: func(ctx context.Context, tx *replicate.Tx, t branch.Touched) error {
			args := make([]any, 0, 2*(len(t.Biblios)+len(t.Items)))
			for _, id := range t.Biblios {
				args = append(args, id, 1)
			}
			for _, id := range t.Items {
				args = append(args, id, 0)
			}
			if len(args) == 0 {
				return nil
			}
			return tx.ExecValues(ctx, `INSERT INTO search_dirty (key, biblio)`, 2,
				`ON CONFLICT(key) DO UPDATE SET biblio=max(biblio, excluded.biblio)`, args)
		},
	}
}

// source is one title's row as the index derives it.
type source struct {
	id, title, subtitle, authors, subjects, isbn, language, format, publisher string
	year, licences                                                            int
	series, notes, audience, issn, isbns, sortTitle                           string
	owning, avail                                                             []string
	popularity                                                                int
}

// refresh re-derives the documents of biblios (their words and facets) and
// the facets of the titles of items (owning and available branches,
// popularity), in tx.
func refresh(ctx context.Context, tx querier, biblios, items []string, now time.Time) error {
	if len(biblios) == 0 && len(items) == 0 {
		return nil
	}
	words := map[string]bool{}
	ids := slices.Clone(biblios)
	for _, id := range biblios {
		words[id] = true
	}
	if len(items) > 0 {
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT i.biblio_id FROM json_each(?) AS j CROSS JOIN items AS i ON i.item_id=j.value`,
			replicate.JSONList(items))
		if err != nil {
			return fmt.Errorf("search: titles of items: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			if _, ok := words[id]; !ok && id != "" {
				words[id] = false
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	srcs, err := readSources(ctx, tx, ids, now)
	if err != nil {
		return err
	}
	// The documents the titles have already, in one query.
	docs := make(map[string]int64, len(ids))
	rows, err := tx.QueryContext(ctx, `SELECT d.biblio_id, d.doc FROM json_each(?) AS j CROSS JOIN search_docs AS d ON d.biblio_id=j.value`,
		replicate.JSONList(ids))
	if err != nil {
		return fmt.Errorf("search: documents: %w", err)
	}
	for rows.Next() {
		var id string
		var doc int64
		if err := rows.Scan(&id, &doc); err != nil {
			rows.Close()
			return err
		}
		docs[id] = doc
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var gen int64
	if err := tx.QueryRowContext(ctx, `UPDATE search_meta SET v=v+1 WHERE k='gen' RETURNING v`).Scan(&gen); err != nil {
		return fmt.Errorf("search: generation: %w", err)
	}
	for _, id := range ids {
		s := srcs[id]
		if s == nil {
			// Gone (or never a title): drop its words, keep its number.
			var doc int64
			err := tx.QueryRowContext(ctx, `UPDATE search_docs SET gone=1, gen=? WHERE biblio_id=? RETURNING doc`, gen, id).Scan(&doc)
			if err == nil {
				_, err = tx.ExecContext(ctx, `DELETE FROM search_fts WHERE rowid=?`, doc)
			}
			if err != nil && err != sql.ErrNoRows {
				return fmt.Errorf("search: drop %s: %w", id, err)
			}
			continue
		}
		old, ok := docs[id]
		if !ok {
			old = -1
		}
		if err := writeDoc(ctx, tx, s, gen, old, words[id]); err != nil {
			return fmt.Errorf("search: index %s: %w", id, err)
		}
	}
	return nil
}

func readSources(ctx context.Context, tx querier, ids []string, now time.Time) (map[string]*source, error) {
	list := replicate.JSONList(ids)
	out := make(map[string]*source, len(ids))
	rows, err := tx.QueryContext(ctx, `SELECT b.biblio_id, b.title, b.subtitle, b.authors, b.subjects, b.isbn, b.language, b.format,
		b.publisher, b.year, b.licences, b.series, b.notes, b.audience, b.issn, b.isbns, b.sort_title
		FROM json_each(?) AS j CROSS JOIN biblios AS b ON b.biblio_id=j.value WHERE b.title<>''`, list)
	if err != nil {
		return nil, fmt.Errorf("search: read titles: %w", err)
	}
	for rows.Next() {
		s := &source{}
		if err := rows.Scan(&s.id, &s.title, &s.subtitle, &s.authors, &s.subjects, &s.isbn, &s.language, &s.format,
			&s.publisher, &s.year, &s.licences, &s.series, &s.notes, &s.audience, &s.issn, &s.isbns, &s.sortTitle); err != nil {
			rows.Close()
			return nil, err
		}
		out[s.id] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT i.biblio_id, i.home_branch, i.location, i.status FROM json_each(?) AS j
		CROSS JOIN items AS i ON i.biblio_id=j.value`, list)
	if err != nil {
		return nil, fmt.Errorf("search: read copies: %w", err)
	}
	for rows.Next() {
		var id, home, loc, status string
		if err := rows.Scan(&id, &home, &loc, &status); err != nil {
			rows.Close()
			return nil, err
		}
		s := out[id]
		if s == nil || status == domain.ItemWithdrawn || status == domain.ItemLost {
			continue
		}
		if home != "" && !slices.Contains(s.owning, home) {
			s.owning = append(s.owning, home)
		}
		if status == domain.ItemAvailable && loc != "" && !slices.Contains(s.avail, loc) {
			s.avail = append(s.avail, loc)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cutoff := ""
	if !now.IsZero() {
		cutoff = now.Add(-popularityWindow).UTC().Format(domain.TimeLayout)
	}
	rows, err = tx.QueryContext(ctx, `SELECT i.biblio_id, count(*) FROM json_each(?) AS j CROSS JOIN items AS i ON i.biblio_id=j.value
		CROSS JOIN loans AS l ON l.item_id=i.item_id WHERE l.issued=1 AND l.issued_at>=? GROUP BY i.biblio_id`, list, cutoff)
	if err != nil {
		return nil, fmt.Errorf("search: read loans: %w", err)
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, err
		}
		if s := out[id]; s != nil {
			s.popularity = n
		}
	}
	rows.Close()
	return out, rows.Err()
}

// writeDoc writes a title's facet row and, when its words changed (or it
// is new), its words; old is its document number, or -1 if it has none.
func writeDoc(ctx context.Context, tx querier, s *source, gen, old int64, wordsChanged bool) error {
	var authors, subjects, series, isbns []string
	_ = json.Unmarshal([]byte(s.authors), &authors)
	_ = json.Unmarshal([]byte(s.subjects), &subjects)
	if s.series != "" {
		_ = json.Unmarshal([]byte(s.series), &series)
	}
	if s.isbns != "" {
		_ = json.Unmarshal([]byte(s.isbns), &isbns)
	}
	sortTitle := s.sortTitle
	if sortTitle == "" {
		sortTitle = s.title
	}
	first := ""
	if len(authors) > 0 {
		first = authors[0]
	}
	avail := s.avail
	if (&domain.Biblio{Format: s.format}).Digital() && s.licences > 0 {
		avail = []string{anywhere}
	}
	slices.Sort(s.owning)
	slices.Sort(avail)
	aj, _ := json.Marshal(nonNil(authors))
	sj, _ := json.Marshal(nonNil(subjects))
	var doc int64
	if old < 0 {
		wordsChanged = true
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO search_docs (biblio_id, work, title_norm, sort_title, format, language, audience, year,
		authors, subjects, owning, avail, popularity, gone, gen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,0,?)
		ON CONFLICT(biblio_id) DO UPDATE SET work=excluded.work, title_norm=excluded.title_norm, sort_title=excluded.sort_title,
		format=excluded.format, language=excluded.language, audience=excluded.audience, year=excluded.year, authors=excluded.authors,
		subjects=excluded.subjects, owning=excluded.owning, avail=excluded.avail, popularity=excluded.popularity, gone=0, gen=excluded.gen
		RETURNING doc`,
		s.id, workKey(sortTitle, first), fold(s.title), fold(sortTitle), s.format, s.language, s.audience, s.year,
		string(aj), string(sj), strings.Join(s.owning, ","), strings.Join(avail, ","), s.popularity, gen).Scan(&doc)
	if err != nil {
		return err
	}
	if !wordsChanged {
		return nil
	}
	if old >= 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_fts WHERE rowid=?`, doc); err != nil {
			return err
		}
	}
	var ident []string
	add := func(v string) {
		if v != "" && !slices.Contains(ident, v) {
			ident = append(ident, v)
		}
	}
	for _, v := range append([]string{s.isbn}, isbns...) {
		if n := isbn13(v); n != "" {
			add(n)
			add(marc.ISBN10(n))
		} else {
			add(v)
		}
	}
	if s.issn != "" {
		add(s.issn)
		add(strings.ReplaceAll(s.issn, "-", ""))
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO search_fts (rowid, title, author, series, subject, ident, publisher, notes) VALUES (?,?,?,?,?,?,?,?)`,
		doc, strings.TrimSpace(s.title+" "+s.subtitle), strings.Join(authors, "; "), strings.Join(series, "; "),
		strings.Join(subjects, "; "), strings.Join(ident, " "), s.publisher, s.notes)
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// anywhere, in a title's available branches, is a digital title with a
// licence: it can be borrowed from every branch.
const anywhere = "*"

// Rebuild derives the whole index again from the state tables, in
// transactions of a few thousand titles, and marks it built by Version.
func Rebuild(ctx context.Context, svc *branch.Service, now time.Time) (int, error) {
	err := svc.Update(local(ctx), func(t *branch.Txn) error {
		for _, q := range []string{`DELETE FROM search_meta WHERE k='version'`, `DELETE FROM search_fts`, `DELETE FROM search_docs`,
			`DELETE FROM search_dirty`} {
			if _, err := t.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("search: clear: %w", err)
	}
	const chunk = 5000
	n, last := 0, ""
	for {
		ids, err := biblioIDs(ctx, svc.Read(), last, chunk)
		if err != nil {
			return n, err
		}
		if len(ids) == 0 {
			break
		}
		if err := svc.Update(local(ctx), func(t *branch.Txn) error {
			c := &cachedTx{Tx: t.Tx, stmts: map[string]*sql.Stmt{}}
			defer c.close()
			return refresh(ctx, c, ids, nil, now)
		}); err != nil {
			return n, err
		}
		n += len(ids)
		last = ids[len(ids)-1]
	}
	err = svc.Update(local(ctx), func(t *branch.Txn) error {
		_, err := t.ExecContext(ctx, `INSERT INTO search_meta (k, v) VALUES ('version', ?) ON CONFLICT(k) DO UPDATE SET v=excluded.v`, Version)
		return err
	})
	return n, err
}

// drain re-derives what ops touched since the last drain (search_dirty),
// in transactions of a few thousand keys, and reports how many.
func drain(ctx context.Context, svc *branch.Service, now time.Time) (int, error) {
	const chunk = 5000
	n := 0
	for {
		done := false
		err := svc.Update(local(ctx), func(t *branch.Txn) error {
			c := &cachedTx{Tx: t.Tx, stmts: map[string]*sql.Stmt{}}
			defer c.close()
			rows, err := c.QueryContext(ctx, `SELECT key, biblio FROM search_dirty LIMIT ?`, chunk)
			if err != nil {
				return err
			}
			var bibs, items, keys []string
			for rows.Next() {
				var k string
				var b bool
				if err := rows.Scan(&k, &b); err != nil {
					rows.Close()
					return err
				}
				keys = append(keys, k)
				if b {
					bibs = append(bibs, k)
				} else {
					items = append(items, k)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(keys) == 0 {
				done = true
				return nil
			}
			if err := refresh(ctx, c, bibs, items, now); err != nil {
				return err
			}
			n += len(keys)
			_, err = c.ExecContext(ctx, `DELETE FROM search_dirty WHERE key IN (SELECT value FROM json_each(?))`, replicate.JSONList(keys))
			return err
		})
		if err != nil {
			return n, fmt.Errorf("search: catch up: %w", err)
		}
		if done {
			return n, nil
		}
	}
}

func biblioIDs(ctx context.Context, q *sql.DB, after string, limit int) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT biblio_id FROM biblios WHERE title<>'' AND biblio_id>? ORDER BY biblio_id LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// cachedTx prepares each statement once per transaction (the applier's
// replicate.Tx does so itself), for a rebuild's thousands of titles.
type cachedTx struct {
	*sql.Tx
	stmts map[string]*sql.Stmt
}

func (c *cachedTx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := c.stmts[q]; ok {
		return st, nil
	}
	st, err := c.Tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.stmts[q] = st
	return st, nil
}

func (c *cachedTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *cachedTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *cachedTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, q)
	if err != nil {
		// A bad statement is a defect; let the row report it.
		return c.Tx.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *cachedTx) close() {
	for _, st := range c.stmts {
		st.Close()
	}
}

// local marks ctx so that the index's writes commit in this node's own
// database even on a central node, whose commands otherwise run as a dry
// run to learn their ops and go through Raft: the index is derived
// locally and emits no ops, so a dry run would throw its writes away (and
// a catch-up would find the same dirty keys for ever).
func local(ctx context.Context) context.Context { return replicate.Direct(ctx) }
