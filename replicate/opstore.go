package replicate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
)

// The ops table stores an op compactly: its kind, actor and channel as
// small integers of op_names (a dictionary local to this database, never
// replicated: another node numbers its names otherwise), its payload in a
// codec (opcodec.go). Everything that reads or writes the table goes
// through this file.

const opsColumns = `origin, counter, hlc, kind, actor, channel, codec, payload`

// opNames caches op_names both ways. Only names known to be committed are
// in it; a writer transaction keeps the names it adds apart (Log.pending)
// and, once it commits, reads them back before caching them: a savepoint
// rolled back inside it (a failed command, a central entry refused) may
// have taken some away.
type opNames struct {
	mu    sync.RWMutex
	ids   map[string]int64
	names map[int64]string
}

func (n *opNames) lookupID(name string) (int64, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	id, ok := n.ids[name]
	return id, ok
}

func (n *opNames) lookupName(id int64) (string, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	s, ok := n.names[id]
	return s, ok
}

func (n *opNames) add(m map[string]int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ids == nil {
		n.ids, n.names = map[string]int64{}, map[int64]string{}
	}
	for s, id := range m {
		n.ids[s], n.names[id] = id, s
	}
}

func (n *opNames) evict(ids []int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, id := range ids {
		if s, ok := n.names[id]; ok {
			delete(n.ids, s)
			delete(n.names, id)
		}
	}
}

func (n *opNames) reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ids, n.names = nil, nil
}

// commit makes what a committed transaction interned and deleted known:
// the names it added are read back from q (committed state) first.
func (nt *nameTable) commit(ctx context.Context, q Querier) {
	nt.committed.evict(nt.deleted)
	if len(nt.pending) == 0 {
		return
	}
	ids := make([]int64, 0, len(nt.pending))
	for _, id := range nt.pending {
		ids = append(ids, id)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, name FROM op_names WHERE id IN (SELECT value FROM json_each(?))`, JSONList(ids))
	if err != nil {
		return // not cached: read again when needed
	}
	defer rows.Close()
	ok := map[string]int64{}
	for rows.Next() {
		var id int64
		var s string
		if rows.Scan(&id, &s) == nil && nt.pending[s] == id {
			ok[s] = id
		}
	}
	if rows.Err() == nil {
		nt.committed.add(ok)
	}
}

// nameTable interns names for one transaction.
type nameTable struct {
	committed *opNames         // nil in a migration
	pending   map[string]int64 // added or read in this transaction, to cache once committed
	deleted   []int64          // deleted in this transaction
	// trusted: pending is used for lookups (a migration, which rolls
	// nothing back but whole); otherwise a name not committed is looked
	// up in the transaction every time.
	trusted bool
}

func (nt *nameTable) id(ctx context.Context, tx execQuerier, name string) (int64, error) {
	if nt.committed != nil {
		if id, ok := nt.committed.lookupID(name); ok {
			return id, nil
		}
	}
	if id, ok := nt.pending[name]; ok && nt.trusted {
		return id, nil
	}
	// Read first: a name already stored (in this transaction too: a batch
	// names the same actors again and again) costs a lookup in the unique
	// index; an upsert would rewrite its row every time (3x the cost).
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM op_names WHERE name=?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `INSERT INTO op_names (name) VALUES (?) RETURNING id`, name).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("replicate: op name %q: %w", name, err)
	}
	if nt.pending == nil {
		nt.pending = map[string]int64{}
	}
	nt.pending[name] = id
	return id, nil
}

func (nt *nameTable) name(ctx context.Context, q Querier, id int64) (string, error) {
	if nt.committed != nil {
		if s, ok := nt.committed.lookupName(id); ok {
			return s, nil
		}
	}
	if nt.trusted {
		for s, i := range nt.pending {
			if i == id {
				return s, nil
			}
		}
	}
	var s string
	if err := q.QueryRowContext(ctx, `SELECT name FROM op_names WHERE id=?`, id).Scan(&s); err != nil {
		return "", fmt.Errorf("replicate: op name %d: %w", id, err)
	}
	if nt.pending == nil {
		nt.pending = map[string]int64{}
	}
	nt.pending[s] = id
	return s, nil
}

type execQuerier interface {
	Querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// names is the transaction's name table (the writer's, shared by the
// transactions of one group commit until it commits or rolls back).
func (t *Tx) names() *nameTable {
	if t.log.pending == nil {
		t.log.pending = &nameTable{committed: &t.log.db.names}
	}
	return t.log.pending
}

// opRow is an op in its stored form.
func opRow(ctx context.Context, nt *nameTable, tx execQuerier, op Op, buf []byte) ([]any, []byte, error) {
	k, err := nt.id(ctx, tx, op.Kind)
	if err != nil {
		return nil, buf, err
	}
	a, err := nt.id(ctx, tx, op.Actor)
	if err != nil {
		return nil, buf, err
	}
	c, err := nt.id(ctx, tx, op.Channel)
	if err != nil {
		return nil, buf, err
	}
	start := len(buf)
	buf, codec := encodePayload(buf, op.Payload)
	return []any{int64(op.Origin), int64(op.Counter), int64(op.HLC), k, a, c, codec, buf[start:len(buf):len(buf)]}, buf, nil
}

func (t *Tx) storeOps(ctx context.Context, ops []Op) error {
	nt := t.names()
	args := make([]any, 0, 8*len(ops))
	var buf []byte
	for _, op := range ops {
		row, b, err := opRow(ctx, nt, t, op, buf)
		if err != nil {
			return err
		}
		buf = b
		args = append(args, row...)
	}
	return t.ExecValues(ctx, `INSERT INTO ops (`+opsColumns+`)`, 8, ``, args)
}

// scanStored reads rows of opsColumns.
func scanStored(ctx context.Context, nt *nameTable, q Querier, rows *sql.Rows, err error, fn func(Op) error) error {
	if err != nil {
		return err
	}
	type raw struct {
		op      Op
		k, a, c int64
		codec   int
		stored  []byte
	}
	var all []raw
	for rows.Next() {
		var r raw
		var o, c, h int64
		if err := rows.Scan(&o, &c, &h, &r.k, &r.a, &r.c, &r.codec, &r.stored); err != nil {
			rows.Close()
			return err
		}
		r.op.Origin, r.op.Counter, r.op.HLC = NodeID(o), uint64(c), Timestamp(h)
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Names are resolved after the rows are closed: a miss queries
	// op_names on the same connection.
	for _, r := range all {
		op := r.op
		var err error
		if op.Kind, err = nt.name(ctx, q, r.k); err != nil {
			return err
		}
		if op.Actor, err = nt.name(ctx, q, r.a); err != nil {
			return err
		}
		if op.Channel, err = nt.name(ctx, q, r.c); err != nil {
			return err
		}
		if op.Payload, err = decodePayload(r.codec, r.stored); err != nil {
			return fmt.Errorf("replicate: op %s: %w", op.ID(), err)
		}
		if err := fn(op); err != nil {
			return err
		}
	}
	return nil
}

// OpFilter selects stored ops for ScanOps.
type OpFilter struct {
	// Origin, if not zero, keeps that origin's ops with counters above
	// After (and at most UpTo, if not zero).
	Origin      NodeID
	After, UpTo uint64
	// At, if set, keeps only the ops at these places (origin and counter;
	// the HLC is not looked at).
	At []OpPos
	// Kinds, if set, keeps only ops of these kinds; NotKinds drops these.
	Kinds, NotKinds []string
	// Contains, if set, keeps (in SQL, before decoding) only ops whose
	// payload or actor may contain one of these strings: a fast prefilter
	// for Match, which decides. It finds a string that is a literal part of
	// a payload or a whole JSON string of it (a UUID, stored in 16 bytes,
	// included), not one that is part of a code, stamp, date or UUID.
	Contains []string
	// Match, if set, keeps the ops it returns true for (decoded).
	Match func(Op) bool
	// ByHLC orders by (HLC, origin, counter), starting after AfterPos;
	// otherwise the order is (origin, counter).
	ByHLC    bool
	AfterPos OpPos
	// Limit, if > 0, stops after that many ops read from the table
	// (before Match).
	Limit int
}

// OpPos is an op's place in (HLC, origin, counter) order.
type OpPos struct {
	HLC     Timestamp
	Origin  NodeID
	Counter uint64
}

func (f OpFilter) sql() (string, []any) {
	var where []string
	var args []any
	if f.Origin != 0 {
		where = append(where, `origin=?`, `counter>?`)
		args = append(args, int64(f.Origin), int64(f.After))
		if f.UpTo != 0 {
			where = append(where, `counter<=?`)
			args = append(args, int64(f.UpTo))
		}
	}
	if len(f.At) > 0 {
		var b strings.Builder
		b.WriteByte('[')
		for i, p := range f.At {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "[%d,%d]", int64(p.Origin), int64(p.Counter))
		}
		b.WriteByte(']')
		where = append(where, `(origin, counter) IN (SELECT value->>0, value->>1 FROM json_each(?))`)
		args = append(args, b.String())
	}
	if len(f.Kinds) > 0 {
		where = append(where, `kind IN (SELECT id FROM op_names WHERE name IN (SELECT value FROM json_each(?)))`)
		args = append(args, JSONList(f.Kinds))
	}
	if len(f.NotKinds) > 0 {
		where = append(where, `kind NOT IN (SELECT id FROM op_names WHERE name IN (SELECT value FROM json_each(?)))`)
		args = append(args, JSONList(f.NotKinds))
	}
	if len(f.Contains) > 0 {
		var any []string
		for _, s := range f.Contains {
			alt := []byte(s)
			if u, ok := parseUUID([]byte(`"` + s + `"`)); ok {
				alt = append([]byte{tagUUID}, u[:]...)
			}
			any = append(any, `instr(payload, ?) OR instr(payload, ?) OR actor IN (SELECT id FROM op_names WHERE instr(name, ?))`)
			args = append(args, []byte(s), alt, s)
		}
		where = append(where, `(`+strings.Join(any, ` OR `)+`)`)
	}
	order := ` ORDER BY origin, counter`
	if f.ByHLC {
		where = append(where, `(hlc, origin, counter) > (?, ?, ?)`)
		after := []any{int64(math.MinInt64), int64(math.MinInt64), int64(math.MinInt64)} // every op
		if f.AfterPos != (OpPos{}) {
			after = []any{int64(f.AfterPos.HLC), int64(f.AfterPos.Origin), int64(f.AfterPos.Counter)}
		}
		args = append(args, after...)
		order = ` ORDER BY hlc, origin, counter`
	}
	q := `SELECT ` + opsColumns + ` FROM ops`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += order
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	return q, args
}

func scanFiltered(ctx context.Context, nt *nameTable, q Querier, f OpFilter, fn func(Op) error) error {
	query, args := f.sql()
	rows, err := q.QueryContext(ctx, query, args...)
	return scanStored(ctx, nt, q, rows, err, func(op Op) error {
		if f.Match != nil && !f.Match(op) {
			return nil
		}
		return fn(op)
	})
}

// ScanOps calls fn for the stored ops f selects, in the transaction.
func (t *Tx) ScanOps(ctx context.Context, f OpFilter, fn func(Op) error) error {
	return scanFiltered(ctx, t.names(), t, f, fn)
}

// ScanOps calls fn for the committed ops f selects.
func (db *DB) ScanOps(ctx context.Context, f OpFilter, fn func(Op) error) error {
	nt := &nameTable{committed: &db.names}
	err := scanFiltered(ctx, nt, db.reader, f, fn)
	db.names.add(nt.pending) // read from committed rows
	return err
}

// readOps reads the committed ops f selects.
func (db *DB) readOps(ctx context.Context, f OpFilter) ([]Op, error) {
	var out []Op
	err := db.ScanOps(ctx, f, func(op Op) error {
		out = append(out, op)
		return nil
	})
	return out, err
}

// RewriteOp replaces the payload and actor of a stored op in place (an
// erasure's redaction): its origin, counter, HLC and kind stay, so
// vectors, sync and merge order are untouched. It reports whether the op
// was there. An actor no op names any more is deleted from the names
// table (it may be personal data) once the transaction's deferred work
// runs.
func (t *Tx) RewriteOp(ctx context.Context, origin NodeID, counter uint64, payload []byte, actor string) (bool, error) {
	nt := t.names()
	var old int64
	err := t.QueryRowContext(ctx, `SELECT actor FROM ops WHERE origin=? AND counter=?`, int64(origin), int64(counter)).Scan(&old)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("replicate: rewrite op: %w", err)
	}
	a, err := nt.id(ctx, t, actor)
	if err != nil {
		return false, err
	}
	stored, codec := encodePayload(nil, payload)
	if _, err := t.ExecContext(ctx, `UPDATE ops SET payload=?, codec=?, actor=? WHERE origin=? AND counter=?`,
		stored, codec, a, int64(origin), int64(counter)); err != nil {
		return false, fmt.Errorf("replicate: rewrite op: %w", err)
	}
	if a != old {
		gc, _ := t.Memo[gcNamesKey].([]int64)
		if t.Memo == nil {
			t.Memo = map[string]any{}
		}
		t.Memo[gcNamesKey] = append(gc, old)
		t.Defer(gcNamesKey, func() error { return t.gcNames(ctx) })
	}
	return true, nil
}

const gcNamesKey = "replicate.op_names.gc"

// gcNames deletes the names of actors rewritten away that no op names.
func (t *Tx) gcNames(ctx context.Context) error {
	ids, _ := t.Memo[gcNamesKey].([]int64)
	delete(t.Memo, gcNamesKey)
	if len(ids) == 0 {
		return nil
	}
	rows, err := t.QueryContext(ctx, `DELETE FROM op_names WHERE id IN (SELECT value FROM json_each(?1))
		AND id NOT IN (SELECT actor FROM ops WHERE actor IN (SELECT value FROM json_each(?1)))
		AND id NOT IN (SELECT kind FROM ops WHERE kind IN (SELECT value FROM json_each(?1)))
		AND id NOT IN (SELECT channel FROM ops WHERE channel IN (SELECT value FROM json_each(?1))) RETURNING id`, JSONList(ids))
	if err != nil {
		return fmt.Errorf("replicate: forget op names: %w", err)
	}
	var gone []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		gone = append(gone, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	nt := t.names()
	for s, id := range nt.pending {
		if slices.Contains(gone, id) {
			delete(nt.pending, s)
		}
	}
	nt.deleted = append(nt.deleted, gone...)
	t.log.db.names.evict(gone)
	return nil
}

// compactOpsMigration is replicate's migration 3: the ops table in the
// compact form (names interned, payloads in a codec), converted in place.
const compactOpsMigration = `
CREATE TABLE op_names (
	id   INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: a reader may still hold a deleted id's name
	name TEXT NOT NULL UNIQUE
);
CREATE TABLE ops_compact (
	origin  INTEGER NOT NULL,
	counter INTEGER NOT NULL,
	hlc     INTEGER NOT NULL,
	kind    INTEGER NOT NULL,
	actor   INTEGER NOT NULL,
	channel INTEGER NOT NULL,
	codec   INTEGER NOT NULL,
	payload BLOB    NOT NULL,
	PRIMARY KEY (origin, counter)
) WITHOUT ROWID;
`

// convertOps copies the old ops table into the compact one, page by page,
// and puts the compact one in its place.
func convertOps(ctx context.Context, tx *sql.Tx) error {
	nt := &nameTable{trusted: true}
	var last struct{ origin, counter int64 }
	last.origin = -1 << 63
	const page = 2000
	for {
		rows, err := tx.QueryContext(ctx, `SELECT origin, counter, hlc, kind, payload, actor, channel FROM ops
			WHERE (origin, counter) > (?, ?) ORDER BY origin, counter LIMIT ?`, last.origin, last.counter, page)
		if err != nil {
			return err
		}
		var ops []Op
		for rows.Next() {
			var o, c, h int64
			var op Op
			if err := rows.Scan(&o, &c, &h, &op.Kind, &op.Payload, &op.Actor, &op.Channel); err != nil {
				rows.Close()
				return err
			}
			op.Origin, op.Counter, op.HLC = NodeID(o), uint64(c), Timestamp(h)
			last.origin, last.counter = o, c
			ops = append(ops, op)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ops) == 0 {
			break
		}
		for _, op := range ops {
			row, _, err := opRow(ctx, nt, tx, op, nil)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ops_compact (`+opsColumns+`) VALUES (?,?,?,?,?,?,?,?)`, row...); err != nil {
				return err
			}
		}
		if len(ops) < page {
			break
		}
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE ops`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `ALTER TABLE ops_compact RENAME TO ops`)
	return err
}
