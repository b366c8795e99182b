package central

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"stacks/replicate"
	"stacks/replicate/clock"
)

// Entry types: the first byte of every Raft log entry.
const (
	entryIntegrate byte = 'I' // a frame of other nodes' ops
	entryLocal     byte = 'L' // a frame of ops issued by central itself
	entryMember    byte = 'M' // a central node's URLs (JSON member)
	entryForget    byte = 'F' // a central node removed (JSON member, ID only)
)

// Migrations are the central role's own tables: the Raft bookkeeping that
// must commit with the state it describes, and the members' URLs. Neither
// is part of the replicated library state (nor of its hash).
func Migrations() []replicate.Migration {
	return []replicate.Migration{{Component: "central", Version: 1, SQL: `
CREATE TABLE raft_applied (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	idx   INTEGER NOT NULL,
	term  INTEGER NOT NULL
);
CREATE TABLE central_members (
	id        TEXT PRIMARY KEY,
	raft_addr TEXT NOT NULL,
	url       TEXT NOT NULL,
	sync_url  TEXT NOT NULL DEFAULT ''
);`}}
}

// Member is a central node: its Raft ID and address and where its API is.
type Member struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	URL      string `json:"url"`
	// SyncURL is where its node-to-node API (/sync/v1, /central/v1) is
	// served, when that is not URL (mutual TLS or a tailnet).
	SyncURL string `json:"sync_url,omitempty"`
}

// NodeAPI is the base URL of the member's node-to-node API: SyncURL when
// it has one, else URL.
func (m Member) NodeAPI() string {
	if m.SyncURL != "" {
		return m.SyncURL
	}
	return m.URL
}

// applyResult is what the FSM answers for one entry.
type applyResult struct {
	Added int            // ops new to this replica (integrate)
	Ops   []replicate.Op // ops as committed (local, decide), origins and counters assigned
	Err   error
	// Result is a decide entry's answer for its proposer.
	Result []byte
}

// fsm applies committed entries to the node's log, exactly once each: the
// index of the last entry applied commits in the same SQLite transaction
// as its effects, so a restart or a replayed log never applies one twice.
type fsm struct {
	log   *replicate.Log
	db    *replicate.DB
	dir   string
	lg    interface{ Error(string, ...any) }
	stop  <-chan struct{}
	retry time.Duration
	clock clock.Clock // makes the retry timer
	// deciders decide the decide entries, by name.
	deciders map[string]Decider

	// purgeKinds are the op kinds that trigger a purge of the Raft log;
	// purge is signalled once a batch applying one committed, or one in
	// which an applier redacted ops (replicate.Tx.MarkRedacted: an op
	// naming an erased patron, redacted on arrival, must not stay in the
	// Raft log as it came), and purging is set by the batch being applied
	// (ApplyBatch runs on one goroutine).
	purgeKinds map[string]bool
	purge      chan struct{}
	purging    bool

	applied atomic.Uint64
	// folded counts the entries applied as part of a run (applyLocalRun),
	// once their transaction commits; foldedNow counts those of the
	// attempt under way.
	folded    atomic.Int64
	foldedNow int64
	mu        sync.Mutex
	changed   chan struct{} // closed and replaced when applied moves
}

var _ raft.BatchingFSM = (*fsm)(nil)

func newFSM(log *replicate.Log, db *replicate.DB, dir string, lg interface{ Error(string, ...any) }, stop <-chan struct{}) *fsm {
	return &fsm{log: log, db: db, dir: dir, lg: lg, stop: stop, retry: 500 * time.Millisecond, clock: clock.System{}, changed: make(chan struct{})}
}

// loadApplied reads the last applied index from the database.
func (f *fsm) loadApplied(ctx context.Context) (uint64, error) {
	var idx int64
	err := f.db.Read().QueryRowContext(ctx, `SELECT idx FROM raft_applied WHERE id=1`).Scan(&idx)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	if err != nil {
		return 0, fmt.Errorf("central: read applied index: %w", err)
	}
	f.setApplied(uint64(idx))
	return uint64(idx), nil
}

func (f *fsm) setApplied(idx uint64) {
	f.applied.Store(idx)
	f.mu.Lock()
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

// waitApplied returns once entry idx is applied here.
func (f *fsm) waitApplied(ctx context.Context, idx uint64) error {
	for {
		f.mu.Lock()
		ch := f.changed
		f.mu.Unlock()
		if f.applied.Load() >= idx {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *fsm) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

// errRefusedOptimistic: an entry applied without its savepoint failed; the
// batch's transaction is undone and the batch applied again with one.
var errRefusedOptimistic = errors.New("central: an entry failed outside a savepoint")

// ApplyBatch applies committed entries in one SQLite transaction. A write
// that fails (a full disk) is retried until it succeeds or the node stops:
// skipping an entry would make this replica diverge for good.
//
// Ops entries (the central's own commands, branches' pushes) are applied
// first without a savepoint each: nearly all apply, and a savepoint keeps
// an image of every page the batch touches, which SQLite spills to a
// temporary file (created, written, unlinked and closed) once it passes
// 64 KiB, ~16 pages: on a follower under load, about once a batch. If one
// of them fails, the whole transaction is undone and the batch applied
// again carefully, each entry inside its savepoint as before, so each is
// answered with its own result and a failed one leaves nothing behind.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	last := logs[len(logs)-1]
	careful := false
	for attempt := 0; ; attempt++ {
		f.purging, f.foldedNow = false, 0
		ctx := replicate.Direct(context.Background())
		err := f.log.Update(ctx, func(tx *replicate.Tx) error {
			var applied int64
			if err := tx.QueryRowContext(ctx, `SELECT idx FROM raft_applied WHERE id=1`).Scan(&applied); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			for i := 0; i < len(logs); i++ {
				out[i] = nil
				l := logs[i]
				if l.Type != raft.LogCommand || l.Index <= uint64(applied) {
					continue
				}
				// A run of the central's own entries (concurrent commands)
				// is applied as one, as a batch arriving by sync is folded.
				if j := localRun(logs, i); j-i > 1 {
					done, err := f.applyLocalRun(ctx, tx, logs[i:j], out[i:j], careful)
					if err != nil {
						return err
					}
					for k := i; k < j && !done; k++ {
						out[k] = f.applyEntry(ctx, tx, logs[k].Data, true)
					}
					i = j - 1
					continue
				}
				out[i] = f.applyEntry(ctx, tx, l.Data, careful)
				if err := out[i].(applyResult).Err; errors.Is(err, errRefusedOptimistic) {
					return err
				}
			}
			// An entry whose ops an applier redacted (a late op naming an
			// erased patron) must leave the Raft log too.
			f.purging = f.purging || tx.Redacted()
			if last.Index <= uint64(applied) {
				return nil
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO raft_applied (id, idx, term) VALUES (1, ?, ?)
				ON CONFLICT(id) DO UPDATE SET idx=excluded.idx, term=excluded.term`, int64(last.Index), int64(last.Term))
			return err
		})
		if err == nil {
			break
		}
		if errors.Is(err, errRefusedOptimistic) && !careful {
			careful = true
			attempt--
			continue
		}
		if attempt%20 == 0 {
			f.lg.Error("central: applying committed entries failed; retrying (this node is stalled until it succeeds)",
				"err", err, "first_index", logs[0].Index, "last_index", last.Index)
		}
		t, c := f.clock.NewTimer(f.retry)
		select {
		case <-f.stop:
			t.Stop()
			for i := range out {
				out[i] = applyResult{Err: err}
			}
			return out
		case <-c:
		}
	}
	f.folded.Add(f.foldedNow)
	if last.Index > f.applied.Load() {
		f.setApplied(last.Index)
	}
	if f.purging && f.purge != nil {
		select {
		case f.purge <- struct{}{}:
		default: // one is pending already
		}
	}
	return out
}

// localRun is the end of the run of local entries (the central's own
// commands' ops) that starts at logs[i].
func localRun(logs []*raft.Log, i int) int {
	j := i
	for j < len(logs) && logs[j].Type == raft.LogCommand && len(logs[j].Data) > 0 && logs[j].Data[0] == entryLocal {
		j++
	}
	return j
}

// applyLocalRun applies a run of local entries (all not yet applied) as
// one: one multi-row insert of their ops and one pass of the applier and
// its observers. It is the same as applying them one by one (their ops are
// emitted in the same order, with the same counters and stamps), and is
// all or nothing: if any op fails (an entry every replica refuses),
// nothing of the run is left and it reports false: the caller then applies
// the entries one by one, each answered with its own result. Done
// carefully, the run is inside a savepoint; else a failure is
// errRefusedOptimistic (ApplyBatch undoes the transaction and applies the
// batch again carefully). out[k] is set to entry k's result. Any other
// error is the write's (the whole transaction fails and is retried).
func (f *fsm) applyLocalRun(ctx context.Context, tx *replicate.Tx, logs []*raft.Log, out []any, careful bool) (bool, error) {
	ends := make([]int, len(logs))
	var all []replicate.Op
	for k, l := range logs {
		ops, err := decodeOps(l.Data[1:])
		if err != nil {
			if !careful {
				return false, errRefusedOptimistic
			}
			return false, nil
		}
		all = append(all, ops...)
		ends[k] = len(all)
	}
	if careful {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT run`); err != nil {
			return false, err
		}
	}
	emitted, err := tx.EmitBatch(ctx, all)
	if err != nil {
		if !careful {
			return false, errRefusedOptimistic
		}
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO run`); err != nil {
			return false, err
		}
		_, err := tx.ExecContext(ctx, `RELEASE run`)
		return false, err
	}
	if careful {
		if _, err := tx.ExecContext(ctx, `RELEASE run`); err != nil {
			return false, err
		}
	}
	for _, op := range all {
		f.purging = f.purging || f.purgeKinds[op.Kind]
	}
	start := 0
	for k := range logs {
		part := emitted[start:ends[k]:ends[k]]
		out[k] = applyResult{Added: len(part), Ops: part}
		start = ends[k]
	}
	f.foldedNow += int64(len(logs))
	return true, nil
}

// optimistic reports whether an entry is applied without a savepoint
// first: ops entries, which nearly always apply. A decision may well be
// refused (a full event), and members are rare.
func optimistic(data []byte) bool {
	return len(data) > 0 && (data[0] == entryLocal || data[0] == entryIntegrate)
}

// applyEntry applies one entry inside a savepoint: an entry that cannot be
// applied (every replica finds the same) is answered with its error and
// leaves nothing behind. Not careful, an ops entry is applied without one
// and a failure is errRefusedOptimistic: the caller undoes the whole
// transaction.
func (f *fsm) applyEntry(ctx context.Context, tx *replicate.Tx, data []byte, careful bool) applyResult {
	if !careful && optimistic(data) {
		res := f.applyData(ctx, tx, data)
		if res.Err != nil {
			res.Err = errRefusedOptimistic
		}
		return res
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT entry`); err != nil {
		return applyResult{Err: err}
	}
	res := f.applyData(ctx, tx, data)
	if res.Err != nil {
		tx.ExecContext(ctx, `ROLLBACK TO entry`)
	}
	if _, err := tx.ExecContext(ctx, `RELEASE entry`); err != nil && res.Err == nil {
		res.Err = err
	}
	return res
}

func (f *fsm) applyData(ctx context.Context, tx *replicate.Tx, data []byte) applyResult {
	if len(data) == 0 {
		return applyResult{Err: errors.New("central: empty entry")}
	}
	switch data[0] {
	case entryIntegrate, entryLocal:
		ops, err := decodeOps(data[1:])
		if err != nil {
			return applyResult{Err: err}
		}
		for _, op := range ops {
			f.purging = f.purging || f.purgeKinds[op.Kind]
		}
		if data[0] == entryIntegrate {
			n, err := tx.IntegrateAdmitted(ctx, ops)
			return applyResult{Added: n, Err: err}
		}
		// One multi-row insert and one pass of the applier and its
		// observers for the entry's ops (a change and its audit record),
		// as a batch of them arriving by sync is folded.
		out, err := tx.EmitBatch(ctx, ops)
		if err != nil {
			return applyResult{Err: err}
		}
		return applyResult{Added: len(out), Ops: out}
	case entryDecide:
		return f.applyDecide(ctx, tx, data[1:])
	case entryMember:
		var m Member
		if err := json.Unmarshal(data[1:], &m); err != nil {
			return applyResult{Err: err}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO central_members (id, raft_addr, url, sync_url) VALUES (?,?,?,?)
			ON CONFLICT(id) DO UPDATE SET raft_addr=excluded.raft_addr, url=excluded.url, sync_url=excluded.sync_url`,
			m.ID, m.RaftAddr, m.URL, m.SyncURL)
		return applyResult{Err: err}
	case entryForget:
		var m Member
		if err := json.Unmarshal(data[1:], &m); err != nil {
			return applyResult{Err: err}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM central_members WHERE id=?`, m.ID)
		return applyResult{Err: err}
	}
	return applyResult{Err: fmt.Errorf("central: unknown entry type %q", data[0])}
}

func decodeOps(b []byte) ([]replicate.Op, error) {
	fr := replicate.NewFrameReader(bytes.NewReader(b))
	var all []replicate.Op
	for {
		ops, err := fr.Next()
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return nil, err
		}
		all = append(all, ops...)
	}
}

// Snapshot copies the database with SQLite's backup API. Raft calls it
// between applies, so the copy holds exactly the entries applied so far
// (and their index, in raft_applied).
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	tmp, err := os.CreateTemp(f.dir, "snapshot-*.db")
	if err != nil {
		return nil, err
	}
	tmp.Close()
	if err := f.db.BackupTo(context.Background(), tmp.Name()); err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	return &snapshot{path: tmp.Name()}, nil
}

// Restore replaces the database with a snapshot's copy, then reloads the
// log's counters and the applied index from it.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	tmp, err := os.CreateTemp(f.dir, "restore-*.db")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, rc); err != nil {
		tmp.Close()
		return fmt.Errorf("central: receive snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	ctx := context.Background()
	if err := f.db.RestoreFrom(ctx, tmp.Name()); err != nil {
		return err
	}
	if err := f.log.Update(replicate.Direct(ctx), func(tx *replicate.Tx) error { return tx.ReloadCounter(ctx) }); err != nil {
		return err
	}
	_, err = f.loadApplied(ctx)
	return err
}

type snapshot struct{ path string }

func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	fh, err := os.Open(s.path)
	if err != nil {
		sink.Cancel()
		return err
	}
	defer fh.Close()
	if _, err := io.Copy(sink, fh); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *snapshot) Release() { os.Remove(s.path) }

// cleanTemp removes snapshot copies a crash left behind.
func cleanTemp(dir string) {
	for _, pat := range []string{"snapshot-*.db", "restore-*.db"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, p := range m {
			os.Remove(p)
		}
	}
}
