package replicate

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// BatchApplier is an Applier that folds a whole batch of ops at once, e.g.
// grouped by kind with one multi-row statement per table. When the log's
// applier has it, the log applies every op through ApplyBatch: a batch
// from Integrate, and a local op (Emit, EmitRaw) as a batch of one, so
// that one fold serves both.
//
// DecodeBatch decodes the ops' payloads without touching the database:
// Log.Integrate runs it on the caller's goroutine, before the batch joins
// the single writer, so that decoding one batch overlaps with writing
// another. decoded[i] belongs to ops[i]; a payload that does not decode is
// kept there as its error, which ApplyBatch reports only if the op is new.
//
// ApplyBatch must leave exactly the state that Apply of each op in turn
// would (in any order, appliers being commutative), derived state included
// once the Tx's deferred work has run. decoded is DecodeBatch(ops).
type BatchApplier interface {
	Applier
	DecodeBatch(ops []Op) (decoded []any)
	ApplyBatch(ctx context.Context, tx *Tx, ops []Op, decoded []any) error
}

// Multi-row statements. Per-statement overhead through database/sql and cgo
// (~10 µs) is what bounds an apply rate, so rows are written many to a
// statement. Chunk sizes are powers of two, so a batch of any size uses a
// handful of distinct statements, each prepared once and cached.
const (
	maxValuesRows = 256
	maxValuesVars = 8192 // SQLite allows 32766 bound parameters
)

type valuesKey struct {
	head, tail  string
	width, rows int
}

// maxValuesShapes bounds the multi-row statements kept prepared: a
// 256-row statement's program holds a few hundred kilobytes, and field
// writes make a shape per set of fields. Statements of further shapes run
// unprepared (their preparation is shared by their many rows).
const maxValuesShapes = 128

// valuesSQL is head VALUES (?,..),(?,..)... tail for rows rows of width
// values, built once per shape; cached reports whether the shape is one of
// those kept prepared.
func (t *Tx) valuesSQL(head string, width, rows int, tail string) (q string, cached bool) {
	k := valuesKey{head, tail, width, rows}
	if q, ok := t.log.values[k]; ok {
		return q, true
	}
	var b strings.Builder
	row := "(?" + strings.Repeat(",?", width-1) + ")"
	b.Grow(len(head) + len(tail) + rows*(len(row)+1) + 8)
	b.WriteString(head)
	b.WriteString(" VALUES ")
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	b.WriteByte(' ')
	b.WriteString(tail)
	q = b.String()
	if len(t.log.values) >= maxValuesShapes {
		return q, false
	}
	t.log.values[k] = q
	return q, true
}

// ExecValues runs head + " VALUES (?,...),(?,...)... " + tail over rows of
// width values each, taken in order from args: one statement per chunk of
// rows instead of one per row. Rows are applied in order, so an upsert that
// meets a row written earlier in the same batch sees it, as a loop of
// single-row statements would.
func (t *Tx) ExecValues(ctx context.Context, head string, width int, tail string, args []any) error {
	if width <= 0 || len(args)%width != 0 {
		return fmt.Errorf("replicate: ExecValues: %d values do not make rows of %d", len(args), width)
	}
	if err := t.applyUnapplied(ctx); err != nil {
		return err
	}
	max := maxValuesRows
	for max > 1 && max*width > maxValuesVars {
		max /= 2
	}
	for n := len(args) / width; n > 0; {
		rows := max
		for rows > n {
			rows /= 2
		}
		q, cached := t.valuesSQL(head, width, rows, tail)
		var err error
		if cached {
			_, err = t.ExecContext(ctx, q, args[:rows*width]...)
		} else {
			_, err = t.Tx.ExecContext(ctx, q, args[:rows*width]...)
		}
		if err != nil {
			return err
		}
		args = args[rows*width:]
		n -= rows
	}
	return nil
}

// JSONList encodes values as a JSON array, for a query that takes a set as
// one parameter: ... WHERE id IN (SELECT value FROM json_each(?)).
func JSONList[T any](values []T) string {
	b, _ := json.Marshal(values)
	return string(b)
}

// preparedOps are ops admitted and decoded for Integrate: the work that
// needs no database, done on the caller's goroutine rather than the
// writer's.
type preparedOps struct {
	ops     []Op
	decoded []any // the BatchApplier's DecodeBatch(ops), or nil
}

func (l *Log) prepareIntegrate(ops []Op) preparedOps {
	p := preparedOps{ops: l.admit(ops)}
	if ba, ok := l.applier.(BatchApplier); ok {
		p.decoded = ba.DecodeBatch(p.ops)
	}
	return p
}

// integratePrepared is Integrate (without a Proposer) of prepared ops.
func (l *Log) integratePrepared(ctx context.Context, p preparedOps) (int, error) {
	var added int
	err := l.Update(ctx, func(tx *Tx) error {
		var err error
		added, err = tx.integrate(ctx, p.ops, p.decoded)
		return err
	})
	return added, err
}

// originRun is what Integrate knows of one origin in a batch.
type originRun struct {
	vv       uint64   // version vector entry before the batch
	max      uint64   // highest counter stored before the batch
	counters []uint64 // counters of the batch's new ops
}

type opKey struct {
	origin  NodeID
	counter uint64
}

// integrate stores the ops not stored yet, applies them and advances the
// version vector. Per batch it costs one small query per origin, one
// multi-row insert per 256 ops and the applier's own statements; ops of an
// origin delivered out of order (beyond a gap) cost a lookup more.
// decoded, if not nil, is the BatchApplier's DecodeBatch(ops).
func (t *Tx) integrate(ctx context.Context, ops []Op, decoded []any) (int, error) {
	l := t.log
	runs := map[NodeID]*originRun{}
	var origins []NodeID
	seen := make(map[opKey]bool, len(ops))
	fresh := make([]Op, 0, len(ops))
	var freshDecoded []any
	if decoded != nil {
		freshDecoded = make([]any, 0, len(ops))
	}
	for i, op := range ops {
		run, ok := runs[op.Origin]
		if !ok {
			var vv, max int64
			if err := t.QueryRowContext(ctx, `SELECT coalesce((SELECT counter FROM version_vector WHERE origin=?1),0),
				coalesce((SELECT max(counter) FROM ops WHERE origin=?1),0)`, int64(op.Origin)).Scan(&vv, &max); err != nil {
				return 0, fmt.Errorf("replicate: read vector: %w", err)
			}
			run = &originRun{vv: uint64(vv), max: uint64(max)}
			runs[op.Origin] = run
			origins = append(origins, op.Origin)
		}
		k := opKey{op.Origin, op.Counter}
		if op.Counter <= run.vv || seen[k] {
			continue // stored already, or twice in this batch
		}
		seen[k] = true
		fresh = append(fresh, op)
		if decoded != nil {
			freshDecoded = append(freshDecoded, decoded[i])
		}
	}
	// Ops beyond an origin's vector entry may be stored already if they
	// came out of order before: look those up.
	stored := map[opKey]bool{}
	for _, origin := range origins {
		run := runs[origin]
		if run.max <= run.vv {
			continue
		}
		var maybe []uint64
		for _, op := range fresh {
			if op.Origin == origin && op.Counter <= run.max {
				maybe = append(maybe, op.Counter)
			}
		}
		if len(maybe) == 0 {
			continue
		}
		rows, err := t.QueryContext(ctx, `SELECT counter FROM ops WHERE origin=? AND counter IN (SELECT value FROM json_each(?))`,
			int64(origin), JSONList(maybe))
		if err != nil {
			return 0, fmt.Errorf("replicate: look up ops: %w", err)
		}
		for rows.Next() {
			var c int64
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return 0, err
			}
			stored[opKey{origin, uint64(c)}] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	if len(stored) > 0 {
		keep := 0
		for i, op := range fresh {
			if stored[opKey{op.Origin, op.Counter}] {
				continue
			}
			fresh[keep] = op
			if decoded != nil {
				freshDecoded[keep] = freshDecoded[i]
			}
			keep++
		}
		fresh = fresh[:keep]
		if decoded != nil {
			freshDecoded = freshDecoded[:keep]
		}
	}
	if len(fresh) == 0 {
		return 0, nil
	}

	var maxHLC Timestamp
	for _, op := range fresh {
		runs[op.Origin].counters = append(runs[op.Origin].counters, op.Counter)
		maxHLC = max(maxHLC, op.HLC)
	}
	if err := t.storeOps(ctx, fresh); err != nil {
		return 0, fmt.Errorf("replicate: store %d ops: %w", len(fresh), err)
	}

	if err := l.apply(ctx, t, fresh, freshDecoded); err != nil {
		return 0, err
	}
	l.hlc.Observe(maxHLC)
	if err := t.flush(); err != nil {
		return 0, fmt.Errorf("replicate: apply: %w", err)
	}

	slices.Sort(origins)
	for _, origin := range origins {
		run := runs[origin]
		if len(run.counters) == 0 {
			continue
		}
		if err := t.advanceVector(ctx, origin, run); err != nil {
			return 0, err
		}
		if origin == l.cfg.Node {
			if top := max(run.max, slices.Max(run.counters)); top+1 > l.next {
				l.next = top + 1
			}
		}
	}
	return len(fresh), nil
}

// apply folds ops into state: through the BatchApplier if the applier is
// one (decoded, if not nil, is its DecodeBatch(ops)), else op by op.
func (l *Log) apply(ctx context.Context, t *Tx, ops []Op, decoded []any) error {
	if ba, ok := l.applier.(BatchApplier); ok {
		if decoded == nil {
			decoded = ba.DecodeBatch(ops)
		}
		if err := ba.ApplyBatch(ctx, t, ops, decoded); err != nil {
			return fmt.Errorf("replicate: apply batch of %d ops: %w", len(ops), err)
		}
		return nil
	}
	for _, op := range ops {
		if err := l.applier.Apply(ctx, t, op); err != nil {
			return fmt.Errorf("replicate: apply %s %s: %w", op.ID(), op.Kind, err)
		}
	}
	return nil
}

// completeDecoded fills the nil entries of decoded (payloads a caller of
// EmitBatchDecoded did not decode) with the BatchApplier's DecodeBatch of
// their ops; nil decoded, or an applier that decodes nothing, gives nil
// (apply then decodes everything itself).
func (l *Log) completeDecoded(ops []Op, decoded []any) []any {
	ba, ok := l.applier.(BatchApplier)
	if !ok || decoded == nil {
		return nil
	}
	var idx []int
	var missing []Op
	for i, d := range decoded {
		if d == nil {
			idx = append(idx, i)
			missing = append(missing, ops[i])
		}
	}
	if len(missing) == 0 {
		return decoded
	}
	out := slices.Clone(decoded)
	for j, d := range ba.DecodeBatch(missing) {
		out[idx[j]] = d
	}
	return out
}

// applyOne folds a local op: a batch of one if the applier is a
// BatchApplier.
func (l *Log) applyOne(ctx context.Context, t *Tx, op Op) error {
	if ba, ok := l.applier.(BatchApplier); ok {
		ops := []Op{op}
		return ba.ApplyBatch(ctx, t, ops, ba.DecodeBatch(ops))
	}
	return l.applier.Apply(ctx, t, op)
}

// advanceVector moves origin's entry up over every contiguous counter
// present after the batch.
func (t *Tx) advanceVector(ctx context.Context, origin NodeID, run *originRun) error {
	next := run.vv
	if run.max <= run.vv {
		// Nothing beyond the vector was stored before: only this batch's
		// counters can extend it.
		slices.Sort(run.counters)
		for _, c := range run.counters {
			if c != next+1 {
				break
			}
			next = c
		}
	} else {
		rows, err := t.QueryContext(ctx, `SELECT counter FROM ops WHERE origin=? AND counter>? ORDER BY counter`, int64(origin), int64(run.vv))
		if err != nil {
			return err
		}
		for rows.Next() {
			var c int64
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return err
			}
			if uint64(c) != next+1 {
				break
			}
			next = uint64(c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if next == run.vv {
		return nil
	}
	_, err := t.ExecContext(ctx, `INSERT INTO version_vector (origin, counter) VALUES (?, ?)
		ON CONFLICT(origin) DO UPDATE SET counter=excluded.counter`, int64(origin), int64(next))
	return err
}
