package search

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
)

// ErrNoFTS5 is returned when SQLite was built without its full-text
// module: every build, test and run needs `-tags sqlite_fts5`.
var ErrNoFTS5 = errors.New("search: SQLite has no FTS5 module: build with -tags sqlite_fts5 (GOFLAGS=-tags=sqlite_fts5)")

// maxBranches is how many branches the facets tell apart.
const maxBranches = 128

type branchSet [2]uint64

func (b *branchSet) set(i int)                { b[i>>6] |= 1 << (i & 63) }
func (b branchSet) has(i int) bool            { return b[i>>6]&(1<<(i&63)) != 0 }
func (b branchSet) any() bool                 { return b[0]|b[1] != 0 }
func (b branchSet) and(o branchSet) branchSet { return branchSet{b[0] & o[0], b[1] & o[1]} }
func (b branchSet) each(fn func(i int)) {
	for w := range 2 {
		for x := b[w]; x != 0; x &= x - 1 {
			i := 0
			for y := x & -x; y > 1; y >>= 1 {
				i++
			}
			fn(w*64 + i)
		}
	}
}

// doc is what memory holds of one title: its facets, its work, and what
// ranking and sorting read. It holds no pointers (see compact.go): its
// strings and lists are indexes into the Index's flat slices.
type doc struct {
	owning     branchSet
	avail      branchSet
	work       uint32
	popularity uint32
	title      uint32 // folded title, in Index.titles
	sortTitle  uint32 // folded title without its leading article, in Index.titles
	lists      uint32 // authors then subjects, from Index.lists[lists]
	format     uint16
	language   uint16
	audience   uint16
	year       uint16
	nAuthors   uint8
	nSubjects  uint8
	live       bool
	anywhere   bool // digital with a licence: available at every branch
}

// Index answers searches over the catalogue: words through SQLite's FTS5,
// facets, ranking and grouping from memory, kept current from the
// search_docs rows the applier writes (by generation).
type Index struct {
	svc *branch.Service
	db  *sql.DB
	log *slog.Logger
	now func() time.Time

	mu        sync.RWMutex
	gen       int64
	docs      []doc // by doc number
	formats   dict
	languages dict
	audiences dict
	branches  dict
	authors   dict
	subjects  dict
	works     dict
	authNorm  strs     // folded author names, by author id
	titles    strs     // folded titles (doc.title, doc.sortTitle)
	lists     []uint32 // docs' author and subject ids (doc.lists)

	scratch sync.Pool // of *scratch

	// catchUpOps is how many ops the log held at the last CatchUp
	// (catchUpSeen: there was one), to tell a bulk load.
	catchUpOps  uint64
	catchUpSeen bool
	bulkOps     uint64 // bulkOps; tests lower it
	maxBacklog  int    // maxSearchBacklog; tests lower it
}

// Open opens the index over svc's database: it rebuilds it when it is
// missing, incomplete or of another Version, then loads it into memory.
func Open(ctx context.Context, svc *branch.Service, log *slog.Logger, now func() time.Time) (*Index, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	x := &Index{svc: svc, db: svc.Read(), log: log, now: now, bulkOps: bulkOps, maxBacklog: maxSearchBacklog, works: dict{bare: true}}
	if err := x.checkFTS5(ctx); err != nil {
		return nil, err
	}
	why, err := x.stale(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if why != "" {
		n, err := Rebuild(ctx, svc, now())
		if err != nil {
			return nil, fmt.Errorf("search: rebuild: %w", err)
		}
		log.Info("search index rebuilt", "reason", why, "titles", n, "took", time.Since(start).Round(time.Millisecond))
	}
	if err := x.sync(ctx); err != nil {
		return nil, err
	}
	log.Info("search index open", "titles", x.Len(), "took", time.Since(start).Round(time.Millisecond))
	return x, nil
}

func (x *Index) checkFTS5(ctx context.Context) error {
	var n int
	if err := x.db.QueryRowContext(ctx, `SELECT sqlite_compileoption_used('ENABLE_FTS5')`).Scan(&n); err != nil || n == 0 {
		return ErrNoFTS5
	}
	return nil
}

// stale says why the index must be rebuilt, or "".
func (x *Index) stale(ctx context.Context) (string, error) {
	var v int
	err := x.db.QueryRowContext(ctx, `SELECT v FROM search_meta WHERE k='version'`).Scan(&v)
	switch {
	case err == sql.ErrNoRows:
		return "missing", nil
	case err != nil:
		return "", fmt.Errorf("search: %w", err)
	case v != Version:
		return fmt.Sprintf("version %d, want %d", v, Version), nil
	}
	// Catch up with what ops touched since, then compare counts (an
	// upgraded database has titles and no documents).
	var now time.Time
	if x.now != nil {
		now = x.now()
	}
	if _, err := drain(ctx, x.svc, now); err != nil {
		return "", err
	}
	var titles, docs int
	if err := x.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM biblios WHERE title<>''), (SELECT count(*) FROM search_docs WHERE gone=0)`).Scan(&titles, &docs); err != nil {
		return "", err
	}
	if titles != docs {
		return fmt.Sprintf("%d titles, %d indexed", titles, docs), nil
	}
	return "", nil
}

// Len is how many titles the index holds.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := 0
	for i := range x.docs {
		if x.docs[i].live {
			n++
		}
	}
	return n
}

// sync catches the index up with the ops applied since (search_dirty),
// then loads the rows written since memory's generation.
func (x *Index) sync(ctx context.Context) error { return x.syncUpTo(ctx, 0) }

// maxSearchBacklog is the most titles and copies a search re-derives
// before it answers; past it (the end of an import of a million records
// left minutes of work) it answers from the index as it stands and the
// node's catch-up loop derives the rest.
const maxSearchBacklog = 20000

// searchSync is the catch-up a search does: all of a small backlog, none
// of a large one.
func (x *Index) searchSync(ctx context.Context) error {
	return x.syncUpTo(ctx, x.maxBacklog)
}

// syncUpTo derives what ops touched (unless more than limit keys wait and
// limit > 0) and loads into memory what changed.
func (x *Index) syncUpTo(ctx context.Context, limit int) error {
	var dirty bool
	if limit > 0 {
		var n int
		if err := x.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM search_dirty LIMIT ?)`, limit+1).Scan(&n); err != nil {
			return fmt.Errorf("search: %w", err)
		}
		dirty = n > 0 && n <= limit
	} else if err := x.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM search_dirty)`).Scan(&dirty); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if dirty {
		var now time.Time
		if x.now != nil {
			now = x.now()
		}
		if _, err := drain(ctx, x.svc, now); err != nil {
			return err
		}
	}
	var gen int64
	if err := x.db.QueryRowContext(ctx, `SELECT v FROM search_meta WHERE k='gen'`).Scan(&gen); err != nil {
		return fmt.Errorf("search: generation: %w", err)
	}
	x.mu.RLock()
	cur := x.gen
	x.mu.RUnlock()
	if gen == cur {
		return nil
	}
	rows, err := x.db.QueryContext(ctx, `SELECT doc, work, title_norm, sort_title, format, language, audience, year, authors, subjects,
		owning, avail, popularity, gone, gen FROM search_docs WHERE gen>? ORDER BY doc`, cur)
	if err != nil {
		return fmt.Errorf("search: load: %w", err)
	}
	defer rows.Close()
	x.mu.Lock()
	defer x.mu.Unlock()
	first := cur == 0 && len(x.docs) == 0
	if first {
		// The first load sizes the documents once (doc is the rowid) rather
		// than doubling its way to a million.
		var maxDoc sql.NullInt64
		if err := x.db.QueryRowContext(ctx, `SELECT max(doc) FROM search_docs`).Scan(&maxDoc); err != nil {
			return fmt.Errorf("search: load: %w", err)
		}
		x.docs = make([]doc, 0, maxDoc.Int64+1)
	}
	maxGen := x.gen
	for rows.Next() {
		var (
			n                                         int
			work, title, sortTitle, format, lang, aud string
			year                                      int
			authors, subjects, owning, avail          string
			pop                                       int
			gone                                      bool
			g                                         int64
		)
		if err := rows.Scan(&n, &work, &title, &sortTitle, &format, &lang, &aud, &year, &authors, &subjects, &owning, &avail,
			&pop, &gone, &g); err != nil {
			return err
		}
		maxGen = max(maxGen, g)
		d := doc{live: !gone, format: uint16(x.formats.id(format)), language: uint16(x.languages.id(lang)),
			audience: uint16(x.audiences.id(aud)), year: uint16(max(0, min(year, 65535))), work: x.works.id(work),
			popularity: uint32(pop)}
		var old *doc
		if n < len(x.docs) && x.docs[n].title != 0 {
			old = &x.docs[n]
		}
		d.title = x.text(old, title)
		d.sortTitle = d.title
		if sortTitle != title {
			d.sortTitle = x.text(old, sortTitle)
		}
		var as, ss []string
		_ = json.Unmarshal([]byte(authors), &as)
		_ = json.Unmarshal([]byte(subjects), &ss)
		// Each author and subject once (a record can repeat one): a title
		// counts once towards a facet value.
		ids := make([]uint32, 0, len(as)+len(ss))
		for _, a := range as {
			id := x.authors.id(a)
			if int(id) == x.authNorm.len() {
				x.authNorm.add(fold(a))
			}
			if len(ids) < 255 && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		na := len(ids)
		for _, s := range ss {
			if id := x.subjects.id(s); len(ids)-na < 255 && !slices.Contains(ids[na:], id) {
				ids = append(ids, id)
			}
		}
		d.nAuthors, d.nSubjects = uint8(na), uint8(len(ids)-na)
		d.lists = x.list(old, ids)
		for _, b := range splitList(owning) {
			if id := x.branches.id(b); id < maxBranches {
				d.owning.set(int(id))
			}
		}
		for _, b := range splitList(avail) {
			if b == anywhere {
				d.anywhere = true
				continue
			}
			if id := x.branches.id(b); id < maxBranches {
				d.avail.set(int(id))
			}
		}
		for len(x.docs) <= n {
			x.docs = append(x.docs, doc{})
		}
		x.docs[n] = d
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Rows of a generation not yet committed cannot be seen; gen was read
	// first, so every row up to it is here.
	x.gen = max(maxGen, gen)
	if first {
		x.shrink()
	}
	return nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// bulkOps is how many ops applied since the last CatchUp make a bulk load
// (an import, a new node's first sync): more than a library's busiest
// hour of circulation in one interval of the node's catch-up loop.
const bulkOps = 10000

// CatchUp re-derives what ops touched since the last search and loads it,
// so a search after a large import or catch-up need not do it itself. It
// gives way to a bulk load: while more than bulkOps ops were applied since
// the last call, it does nothing, so that the single writer serves the
// load alone (re-deriving as it goes took 40% of the writer's time during
// an import of 100,000 records) and the index catches up once the load
// stops, in a few large transactions. A search never waits for that: it
// catches up first (sync).
func (x *Index) CatchUp(ctx context.Context) error {
	vv, err := x.svc.Log().VersionVector(ctx)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	var ops uint64
	for _, c := range vv {
		ops += c
	}
	x.mu.Lock()
	prev, seen := x.catchUpOps, x.catchUpSeen
	x.catchUpOps, x.catchUpSeen = ops, true
	x.mu.Unlock()
	if seen && ops > prev+x.bulkOps {
		return nil
	}
	return x.sync(ctx)
}

// RecountPopularity marks for re-derivation every title lent in the last
// thirteen months, so loans older than twelve stop counting (a daily
// sweep), then catches up.
func (x *Index) RecountPopularity(ctx context.Context) error {
	if x.now == nil {
		return nil
	}
	from := x.now().Add(-popularityWindow - 31*24*time.Hour).UTC().Format(domain.TimeLayout)
	err := x.svc.Update(local(ctx), func(t *branch.Txn) error {
		_, err := t.ExecContext(ctx, `INSERT INTO search_dirty (key, biblio) SELECT DISTINCT item_id, 0 FROM loans
			WHERE issued=1 AND issued_at>=? ON CONFLICT(key) DO NOTHING`, from)
		return err
	})
	if err != nil {
		return fmt.Errorf("search: recount popularity: %w", err)
	}
	return x.sync(ctx)
}
