package replicate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Applier folds ops into state tables. Apply must be deterministic,
// idempotent per op and commutative across ops: it may read only the op and
// the current state, never the wall clock or randomness. An applier that is
// also a BatchApplier is only ever called through ApplyBatch.
type Applier interface {
	Apply(ctx context.Context, tx *Tx, op Op) error
}

// ErrClosed is returned for work submitted to a closed log.
var ErrClosed = errors.New("replicate: log closed")

// Config configures a Log.
type Config struct {
	Node     NodeID
	Clock    Clock
	MaxBatch int // most transactions folded into one commit (group commit)
	Logger   *slog.Logger
	// BeforeCommit, if set, runs before each commit; an error aborts the
	// whole batch as a crash before commit would. Fault injection for
	// simulations only.
	BeforeCommit func() error
	// Proposer, if set, takes every write that is not Direct to a
	// replicated state machine instead of committing it here.
	Proposer Proposer
	// ObserveBatch, if set, is told where the time of each durable commit
	// of the writer went. Metrics and benchmarks use it to tell the disk's
	// share of a write's latency from the rest.
	ObserveBatch func(BatchTiming)
	// Admit, if set, is asked about every op arriving from elsewhere; an op
	// it refuses is not stored (it is logged once per origin and reason and
	// counted in Refused), so a later sync may bring it again.
	Admit func(Op) error
}

// DefaultConfig returns a config with the system clock and a group-commit
// batch of 256.
func DefaultConfig(node NodeID) Config {
	return Config{Node: node, Clock: SystemClock{}, MaxBatch: 256, Logger: slog.New(slog.DiscardHandler)}
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	if c.Node == 0 {
		return errors.New("replicate: node id is zero")
	}
	if c.Clock == nil {
		return errors.New("replicate: no clock")
	}
	if c.MaxBatch < 1 {
		return errors.New("replicate: MaxBatch < 1")
	}
	return nil
}

// Log is the op log of one node: it appends local ops and integrates remote
// ones, applying each to state in the same SQLite transaction. Writes run one
// batch at a time, each batch committing many callers' transactions together
// (group commit) while keeping each caller's work atomic with a savepoint: a
// caller that finds the writer free runs its own batch on its goroutine, and
// the writer goroutine runs what is queued while it is busy.
type Log struct {
	db      *DB
	cfg     Config
	hlc     *HLC
	applier Applier
	log     *slog.Logger

	reqs      chan *request
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	// tok is the right to take requests off reqs and run them: held by the
	// writer goroutine, or by an Update that found it free and runs its own
	// request (and those queued with it) on its caller's goroutine, with no
	// hand-off to the writer and back. The writer's state below belongs to
	// whoever holds it.
	tok chan struct{}
	// kick wakes the writer goroutine: requests are queued and their
	// callers could not take tok.
	kick chan struct{}
	// closed: the writer has drained and closed its statements; a holder
	// of tok then fails what is queued with ErrClosed. Guarded by tok.
	closed bool

	// Refused counts ops that Config.Admit refused.
	Refused atomic.Int64
	// Commits counts the writer's durable commits of local transactions
	// (a group commit of several Updates is one).
	Commits atomic.Int64
	// Inline counts the batches run on an Update's own goroutine (the
	// writer was free), not the writer goroutine's.
	Inline      atomic.Int64
	refusedMu   sync.Mutex
	refusedSeen map[string]bool

	// The writer's state: touched only by the holder of tok.
	next  uint64               // next local counter
	stmts map[string]*sql.Stmt // prepared statements of the writer connection
	want  map[string]bool      // statements to prepare after this batch
	// values caches the text of multi-row statements
	values map[valuesKey]string
	// pending interns the names of the batch being written until it
	// commits (opstore.go)
	pending *nameTable
}

// BatchTiming is where one group commit's time went.
type BatchTiming struct {
	Transactions int           // transactions committed together
	Queued       time.Duration // the first transaction's wait, from Update to the writer taking it
	Work         time.Duration // running the transactions' functions (their SQL, in savepoints)
	Commit       time.Duration // COMMIT: the WAL write and its fsync
}

// request is one Update call waiting for the writer; it lives exactly as
// long as that call, so it carries the call's context (to skip a request
// whose caller has gone).
type request struct {
	at   time.Time // when Update was called
	ctx  context.Context
	fn   func(*Tx) error
	err  error
	done chan struct{}
	// dry: a dry run (propose), which always ends rolled back.
	dry bool
	// released: done was closed before the batch ended. A dry run
	// (propose) is answered once its function has run and its savepoint
	// is rolled back: what it emitted is all it needs, so it does not wait
	// for the requests after it in the batch, or for the commit.
	released bool
}

// NewLog returns a log over db. It does no I/O; call Open.
func NewLog(db *DB, cfg Config, applier Applier) *Log {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Log{
		db:      db,
		cfg:     cfg,
		hlc:     NewHLC(cfg.Clock),
		applier: applier,
		log:     cfg.Logger.With("subsystem", "oplog"),
		reqs:    make(chan *request, 1024),
		tok:     make(chan struct{}, 1),
		kick:    make(chan struct{}, 1),
		stmts:   map[string]*sql.Stmt{},
		want:    map[string]bool{},
		values:  map[valuesKey]string{},
		stop:    make(chan struct{}),
	}
}

// Open loads the local counter and the clock's high-water mark and starts
// the writer.
func (l *Log) Open(ctx context.Context) error {
	if err := l.cfg.Validate(); err != nil {
		return err
	}
	top, maxHLC, err := localHighWater(ctx, l.db.writer, l.cfg.Node)
	if err != nil {
		return fmt.Errorf("replicate: load counter: %w", err)
	}
	l.next = top + 1
	l.hlc.Observe(maxHLC)
	l.tok <- struct{}{}
	l.wg.Add(1)
	go l.writer()
	return nil
}

// Close stops the writer after the work already queued.
func (l *Log) Close() error {
	l.closeOnce.Do(func() { close(l.stop) })
	l.wg.Wait()
	return nil
}

// Node is this log's origin.
func (l *Log) Node() NodeID { return l.cfg.Node }

// Clock is the log's hybrid logical clock.
func (l *Log) Clock() *HLC { return l.hlc }

// DB is the underlying database.
func (l *Log) DB() *DB { return l.db }

// Tx is one caller's share of a write transaction. Reads through it see the
// caller's own ops already applied.
//
// A Tx holds no context: every method that does I/O takes the caller's.
type Tx struct {
	*sql.Tx
	log     *Log
	emitted []Op

	deferred map[string]func() error
	order    []string

	// redacted: an applier rewrote ops already in the log (MarkRedacted).
	redacted bool
	// dryRun: the transaction runs a command only to learn its ops (DryRun).
	dryRun bool
	// unapplied: in a dry run, the ops emitted since the command last read
	// the database, stored and applied only before its next read
	// (applyUnapplied); those emitted after its last read never are.
	unapplied []unappliedRun
	// dryErr: storing or applying unapplied ops failed; the dry run fails
	// with it, whatever the command's read then found.
	dryErr error

	// Memo is scratch space for the transaction's appliers and commands,
	// e.g. a small table read many times in a batch. It lives and dies
	// with this Tx (one caller's share of a commit, or one batch of remote
	// ops), so a rolled-back write never leaves a stale entry behind.
	Memo map[string]any
}

// MarkRedacted records that the transaction rewrote stored ops to take
// personal data out of them (an erasure, or an op naming an erased patron
// that arrived later and was redacted on arrival). A node that keeps other
// copies of its ops (central's Raft log) purges them once it commits.
func (t *Tx) MarkRedacted() { t.redacted = true }

// Redacted reports whether MarkRedacted was called in the transaction.
func (t *Tx) Redacted() bool { return t.redacted }

// Defer schedules fn to run once before the transaction's work is read:
// right after a local op is applied, or once at the end of a batch of
// remote ops. Appliers use it for derived state (a status, a conflict) that
// many ops in a batch touch: a later Defer with the same key replaces an
// earlier one, so the work is done once per key.
func (t *Tx) Defer(key string, fn func() error) {
	if t.deferred == nil {
		t.deferred = map[string]func() error{}
	}
	if _, ok := t.deferred[key]; !ok {
		t.order = append(t.order, key)
	}
	t.deferred[key] = fn
}

func (t *Tx) flush() error {
	for len(t.order) > 0 {
		order := t.order
		t.order = nil
		for _, k := range order {
			fn := t.deferred[k]
			delete(t.deferred, k)
			if err := fn(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Emit appends a local op with the next counter and a fresh HLC timestamp
// and applies it. payload is encoded as JSON.
func (t *Tx) Emit(ctx context.Context, kind string, payload any, actor, channel string) (Op, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return Op{}, fmt.Errorf("replicate: encode %s: %w", kind, err)
	}
	return t.EmitRaw(ctx, Op{HLC: t.log.hlc.Now(), Kind: kind, Payload: b, Actor: actor, Channel: channel})
}

// EmitRaw appends op as this node's next local op and applies it. Its
// origin and counter are assigned here; its HLC, kind, payload, actor and
// channel are kept as given (a zero HLC takes the clock's next tick). A
// replicated state machine uses it to give every replica the same op for
// the same log entry.
func (t *Tx) EmitRaw(ctx context.Context, op Op) (Op, error) {
	if op.HLC == 0 {
		op.HLC = t.log.hlc.Now()
	} else {
		t.log.hlc.Observe(op.HLC)
	}
	op.Origin, op.Counter = t.log.cfg.Node, t.log.next
	if t.dryRun {
		t.holdBack([]Op{op}, nil)
		return op, nil
	}
	kind := op.Kind
	if err := t.insertOp(ctx, op); err != nil {
		return Op{}, err
	}
	if err := t.log.applyOne(ctx, t, op); err != nil {
		return Op{}, fmt.Errorf("replicate: apply %s: %w", kind, err)
	}
	if err := t.flush(); err != nil {
		return Op{}, fmt.Errorf("replicate: apply %s: %w", kind, err)
	}
	t.appended([]Op{op})
	return op, nil
}

// EmitBatch appends ops as this node's next local ops, in order, and
// applies them together: one multi-row insert into the log and one call of
// the applier (ApplyBatch for a BatchApplier), as Integrate folds a batch,
// instead of a batch of one per op. Each op's kind, payload, actor and
// channel are kept; a zero HLC takes the clock's next tick (a non-zero one,
// from Clock().Now(), is kept, so a caller can name an op's stamp before
// it is emitted). If it fails, the caller's transaction must fail too.
func (t *Tx) EmitBatch(ctx context.Context, ops []Op) ([]Op, error) {
	return t.EmitBatchDecoded(ctx, ops, nil)
}

// EmitBatchDecoded is EmitBatch of ops whose payloads the caller already
// holds decoded, as the log's BatchApplier's DecodeBatch would decode them:
// decoded[i] belongs to ops[i], and a nil entry is decoded here. A command
// that has just encoded its ops from values it holds passes those values,
// so the applier does not decode what the command encoded; what it passes
// must be exactly what DecodeBatch gives for the payload, or this node's
// state would differ from a peer's that decodes the op.
func (t *Tx) EmitBatchDecoded(ctx context.Context, ops []Op, decoded []any) ([]Op, error) {
	if decoded != nil && len(decoded) != len(ops) {
		return nil, fmt.Errorf("replicate: %d decoded payloads for %d ops", len(decoded), len(ops))
	}
	if len(ops) == 0 {
		return nil, nil
	}
	out := make([]Op, len(ops))
	for i, op := range ops {
		if op.HLC == 0 {
			op.HLC = t.log.hlc.Now()
		} else {
			t.log.hlc.Observe(op.HLC)
		}
		op.Origin, op.Counter = t.log.cfg.Node, t.log.next+uint64(i)
		out[i] = op
	}
	if t.dryRun {
		t.holdBack(out, decoded)
		return out, nil
	}
	if err := t.storeApply(ctx, out, decoded); err != nil {
		return nil, err
	}
	t.appended(out)
	return out, nil
}

// storeApply stores ops (counters assigned) in the log and applies them
// with the work they deferred.
func (t *Tx) storeApply(ctx context.Context, ops []Op, decoded []any) error {
	if err := t.storeOps(ctx, ops); err != nil {
		return fmt.Errorf("replicate: store %d ops: %w", len(ops), err)
	}
	if err := t.log.apply(ctx, t, ops, t.log.completeDecoded(ops, decoded)); err != nil {
		return err
	}
	if err := t.flush(); err != nil {
		return fmt.Errorf("replicate: apply: %w", err)
	}
	return nil
}

// appended takes ops, stored and applied (or held back by a dry run), as
// the transaction's: the log's next counter passes them.
func (t *Tx) appended(ops []Op) {
	t.log.next += uint64(len(ops))
	t.emitted = append(t.emitted, ops...)
}

// Clock is the log's hybrid logical clock, for a caller of EmitBatch that
// stamps its ops before emitting them.
func (t *Tx) Clock() *HLC { return t.log.hlc }

// Node is the origin of the ops this transaction emits.
func (t *Tx) Node() NodeID { return t.log.cfg.Node }

// Emitted lists the ops this transaction appended so far.
func (t *Tx) Emitted() []Op { return t.emitted }

func (t *Tx) insertOp(ctx context.Context, op Op) error {
	if err := t.storeOps(ctx, []Op{op}); err != nil {
		return fmt.Errorf("replicate: store op %s: %w", op.ID(), err)
	}
	return nil
}

// Update runs fn in a write transaction and returns after it is durably
// committed. If fn returns an error, nothing it did is kept.
func (l *Log) Update(ctx context.Context, fn func(*Tx) error) error {
	if l.cfg.Proposer != nil && !isDirect(ctx) {
		return l.propose(ctx, fn)
	}
	return l.update(ctx, fn, false)
}

// update queues fn for the writer and waits for its outcome; dry marks a
// dry run.
func (l *Log) update(ctx context.Context, fn func(*Tx) error, dry bool) error {
	r := &request{at: time.Now(), ctx: ctx, fn: fn, done: make(chan struct{}), dry: dry}
	select {
	case <-l.stop:
		return ErrClosed // the first select below may choose either
	default:
	}
	select {
	case l.reqs <- r:
	case <-l.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// The writer is free: run the request here, with whatever queued
	// beside it, rather than waking the writer goroutine and waiting to be
	// woken in turn (two hand-offs a write; on a central node's leader,
	// four: its dry run, then its entry's apply).
	// A request queued while another caller holds the writer is not left
	// behind: its own caller, finding tok taken, woke the writer goroutine,
	// which takes tok next and runs the queue.
	select {
	case <-l.tok:
		l.Inline.Add(int64(l.serveInline(r)))
		l.tok <- struct{}{}
	default:
		l.wake()
	}
	select {
	case <-r.done:
		return r.err
	case <-l.stop:
		// The writer drains what is queued before it exits; what is
		// queued after, the first caller to take tok fails.
		l.serveQueued()
		<-r.done
		return r.err
	}
}

func (l *Log) wake() {
	select {
	case l.kick <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// serveInline is serve on a caller's goroutine. A panic in a batch outside
// a request's own function (which runOne recovers), e.g. in a commit hook,
// leaves the transaction open and the writer taken: it must end the
// process, as it did on the writer goroutine, and not be recovered by the
// caller (an HTTP handler's recovery) to leave every later write waiting.
func (l *Log) serveInline(r *request) int {
	defer func() {
		if p := recover(); p != nil {
			go panic(p)
			select {}
		}
	}()
	return l.serve(r)
}

// serve runs the queued requests, a batch at a time, until none is
// queued or until's batch has run (nil: until none is queued), and
// returns how many batches it ran. The caller holds tok.
func (l *Log) serve(until *request) (batches int) {
	for ; ; batches++ {
		if until != nil {
			select {
			case <-until.done:
				return batches // run by the caller that held the writer before
			default:
			}
		}
		if l.closed {
			for {
				select {
				case r := <-l.reqs:
					r.err = ErrClosed
					close(r.done)
				default:
					return batches
				}
			}
		}
		var batch []*request
	fill:
		for len(batch) < l.cfg.MaxBatch {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		if len(batch) == 0 {
			return batches
		}
		l.runBatch(batch)
		if len(l.want) > 0 {
			l.prepareWanted()
		}
	}
}

// writer runs the requests whose callers found the writer busy.
func (l *Log) writer() {
	defer l.wg.Done()
	for {
		select {
		case <-l.kick:
		case <-l.stop:
			<-l.tok
			l.serve(nil)
			l.closeStmts()
			l.closed = true
			l.tok <- struct{}{}
			return
		}
		l.serveQueued()
	}
}

// serveQueued takes the writer (tok) and runs what is queued.
func (l *Log) serveQueued() {
	<-l.tok
	l.serve(nil)
	l.tok <- struct{}{}
}

func (l *Log) runBatch(batch []*request) {
	defer func() {
		for _, r := range batch {
			if !r.released {
				close(r.done)
			}
		}
	}()
	start := l.next
	began := time.Now()
	tx, err := l.db.writer.BeginTx(context.Background(), nil)
	if err != nil {
		for _, r := range batch {
			r.err = fmt.Errorf("replicate: begin: %w", err)
		}
		return
	}
	ok := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		// A request that runs first in the transaction needs no savepoint
		// (a savepoint keeps an image of every page the request touches,
		// spilled to a temporary file past 64 KiB): if it fails, the
		// transaction, which holds nothing else, is begun again for the
		// rest. A dry run, which always ends rolled back, keeps its own.
		savepoint := len(batch) > 1 && (ok > 0 || r.dry)
		r.err = l.runOne(tx, r, savepoint)
		if errors.Is(r.err, errSavepoint) {
			l.failBatch(tx, batch, start, r.err)
			return
		}
		if r.err != nil && !savepoint && i < len(batch)-1 {
			l.rollback(tx, start)
			if tx, err = l.db.writer.BeginTx(context.Background(), nil); err != nil {
				for _, r := range batch[i+1:] {
					r.err = fmt.Errorf("replicate: begin: %w", err)
				}
				return
			}
		}
		if r.err == nil {
			ok++
		} else if errors.Is(r.err, errDryRun) {
			r.released = true
			close(r.done)
		}
	}
	if ok == 0 {
		l.rollback(tx, start)
		return
	}
	if l.next != start {
		if err := l.execCached(tx, versionVectorUpsert, int64(l.cfg.Node), int64(l.next-1)); err != nil {
			l.failBatch(tx, batch, start, err)
			return
		}
	}
	if l.cfg.BeforeCommit != nil {
		if err := l.cfg.BeforeCommit(); err != nil {
			l.failBatch(tx, batch, start, err)
			return
		}
	}
	committing := time.Now()
	if err := tx.Commit(); err != nil {
		l.failBatch(tx, batch, start, err)
		return
	}
	if l.pending != nil {
		l.pending.commit(context.Background(), l.db.writer)
		l.pending = nil
	}
	if l.cfg.ObserveBatch != nil {
		l.cfg.ObserveBatch(BatchTiming{Transactions: ok, Queued: began.Sub(batch[0].at), Work: committing.Sub(began),
			Commit: time.Since(committing)})
	}
	l.Commits.Add(1)
}

// versionVectorUpsert records the log's own counter as of a commit.
const versionVectorUpsert = `INSERT INTO version_vector (origin, counter) VALUES (?, ?)
	ON CONFLICT(origin) DO UPDATE SET counter=excluded.counter`

// rollback undoes a batch's transaction: the log's next counter goes back
// to start and the names it interned are forgotten.
func (l *Log) rollback(tx *sql.Tx, start uint64) {
	tx.Rollback()
	l.next = start
	l.pending = nil
}

func (l *Log) failBatch(tx *sql.Tx, batch []*request, start uint64, err error) {
	l.rollback(tx, start)
	l.log.Error("commit failed", "err", err, "transactions", len(batch))
	for _, r := range batch {
		if r.err == nil {
			r.err = fmt.Errorf("replicate: commit: %w", err)
		}
	}
}

// errSavepoint: a request's savepoint could not be rolled back or
// released, so what the transaction holds is unknown.
var errSavepoint = errors.New("replicate: a request's savepoint was lost")

// runOne runs one request's function in the batch's transaction, inside
// a savepoint if others share the transaction, so that its failure undoes
// its own work only. A request alone in its batch needs none (two
// statements less on a quiet desk's path): if it fails, nothing in the
// transaction succeeded and runBatch rolls the whole of it back.
func (l *Log) runOne(tx *sql.Tx, r *request, savepoint bool) (err error) {
	if savepoint {
		if err := l.execCached(tx, `SAVEPOINT one`); err != nil {
			return fmt.Errorf("replicate: savepoint: %w", err)
		}
	}
	before := l.next
	t := &Tx{Tx: tx, log: l}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("replicate: transaction panicked: %v", p)
			l.log.Error("transaction panicked", "panic", p)
		}
		if err != nil {
			l.next = before
		}
		if !savepoint {
			return
		}
		// A savepoint that cannot be rolled back or released leaves the
		// request's writes in the transaction whatever it answered: the
		// batch fails as a whole (runBatch), and the request's own error
		// (a dry run's too) is kept only as text.
		if err != nil {
			if rerr := l.execCached(tx, `ROLLBACK TO one`); rerr != nil {
				err = fmt.Errorf("%w: rolling back after %v: %v", errSavepoint, err, rerr)
				return
			}
		}
		if rerr := l.execCached(tx, `RELEASE one`); rerr != nil {
			err = fmt.Errorf("%w: releasing (request's error: %v): %v", errSavepoint, err, rerr)
		}
	}()
	if err := r.fn(t); err != nil {
		return err
	}
	return t.flush() // work deferred by the function's own writes (RewriteOp)
}

// Integrate stores and applies ops from other nodes (or a replay of this
// node's own log). Ops already present are skipped, so duplicates and any
// delivery order are harmless. It returns how many ops were new.
func (l *Log) Integrate(ctx context.Context, ops []Op) (int, error) {
	if l.cfg.Proposer != nil && !isDirect(ctx) {
		return l.cfg.Proposer.ProposeIntegrate(ctx, l.admit(ops))
	}
	return l.integratePrepared(ctx, l.prepareIntegrate(ops))
}

// Integrate is Log.Integrate inside a caller's transaction, so that other
// writes (e.g. the Raft index a batch came from) commit atomically with it.
func (t *Tx) Integrate(ctx context.Context, ops []Op) (int, error) {
	return t.integrate(ctx, t.log.admit(ops), nil)
}

// VersionVector reads the node's current version vector.
func (l *Log) VersionVector(ctx context.Context) (VersionVector, error) {
	rows, err := l.db.reader.QueryContext(ctx, `SELECT origin, counter FROM version_vector`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	vv := VersionVector{}
	for rows.Next() {
		var o, c int64
		if err := rows.Scan(&o, &c); err != nil {
			return nil, err
		}
		vv[NodeID(o)] = uint64(c)
	}
	return vv, rows.Err()
}

// Ops returns up to limit ops the holder of vv lacks, per origin in counter
// order (origins in ascending order). limit <= 0 means no limit. If some
// of them were compacted away it returns a *CompactedError (ErrCompacted).
func (l *Log) Ops(ctx context.Context, vv VersionVector, limit int) ([]Op, error) {
	origins, err := l.VersionVector(ctx)
	if err != nil {
		return nil, err
	}
	if err := l.CheckServable(ctx, vv); err != nil {
		return nil, err
	}
	keys := make([]NodeID, 0, len(origins))
	for k := range origins {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var out []Op
	for _, origin := range keys {
		f := OpFilter{Origin: origin, After: vv[origin]}
		if limit > 0 {
			f.Limit = limit - len(out)
		}
		ops, err := l.db.readOps(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, ops...)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}
