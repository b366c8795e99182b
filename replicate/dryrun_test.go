package replicate

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// nopApplier applies nothing.
type nopApplier struct{}

func (nopApplier) Apply(context.Context, *Tx, Op) error { return nil }

// recordingProposer hands each proposal to a channel.
type recordingProposer struct{ got chan []Op }

func (p recordingProposer) ProposeOps(_ context.Context, ops []Op) error {
	p.got <- ops
	return nil
}

func (p recordingProposer) ProposeIntegrate(_ context.Context, ops []Op) (int, error) {
	return len(ops), nil
}

// TestDryRunAnsweredBeforeItsBatchEnds: a command on a log with a Proposer
// (central) runs first as a dry run in the writer's batch. Its ops are
// proposed as soon as its own function has run: it does not wait for a
// slow request queued after it in the same batch, nor for the commit.
func TestDryRunAnsweredBeforeItsBatchEnds(t *testing.T) {
	ctx := context.Background()
	prop, lg := openProposingLog(t)

	// The writer is held by a first request while the dry run and a slow
	// request queue behind it: the two then share the next batch.
	entered, hold, slow := make(chan struct{}), make(chan struct{}), make(chan struct{})
	errs := make(chan error, 3)
	go func() {
		errs <- lg.Update(Direct(ctx), func(*Tx) error { close(entered); <-hold; return nil })
	}()
	<-entered
	go func() {
		errs <- lg.Update(ctx, func(tx *Tx) error {
			_, err := tx.Emit(ctx, "k", map[string]int{"n": 1}, "test", "api")
			return err
		})
	}()
	waitQueued(t, lg, 1)
	go func() {
		errs <- lg.Update(Direct(ctx), func(*Tx) error { <-slow; return nil })
	}()
	waitQueued(t, lg, 2)
	close(hold)
	select {
	case ops := <-prop.got:
		if len(ops) != 1 || ops[0].Kind != "k" {
			t.Errorf("proposed %+v", ops)
		}
	case <-time.After(10 * time.Second):
		close(slow)
		<-prop.got
		t.Fatal("the dry run's ops were not proposed while a slow request after it held the batch")
	}
	close(slow)
	for range 3 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestLostSavepointFailsItsBatch: a request that leaves its savepoint (here
// it releases it itself) and then fails cannot be undone alone; its writes
// would be committed with the batch's other requests. The whole batch
// fails instead, and nothing of it is kept.
func TestLostSavepointFailsItsBatch(t *testing.T) {
	ctx := context.Background()
	db, lg := openTestLog(t, DefaultConfig(1))
	if err := lg.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE t (x INTEGER)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	insert := func(tx *Tx, x int) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (x) VALUES (?)`, x)
		return err
	}
	entered, hold := make(chan struct{}), make(chan struct{})
	firstErr, otherErr, badErr := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	go func() { firstErr <- lg.Update(ctx, func(*Tx) error { close(entered); <-hold; return nil }) }()
	<-entered
	// The other request first: the first request of a transaction runs
	// without a savepoint; the bad one, after it, inside one.
	go func() { otherErr <- lg.Update(ctx, func(tx *Tx) error { return insert(tx, 2) }) }()
	waitQueued(t, lg, 1)
	go func() {
		badErr <- lg.Update(ctx, func(tx *Tx) error {
			if err := insert(tx, 1); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `RELEASE one`); err != nil {
				return err
			}
			return errors.New("refused")
		})
	}()
	waitQueued(t, lg, 2)
	close(hold)
	if err := <-firstErr; err != nil {
		t.Fatalf("the first batch: %v", err)
	}
	if err := <-badErr; !errors.Is(err, errSavepoint) {
		t.Errorf("the request that lost its savepoint: %v", err)
	}
	if err := <-otherErr; err == nil {
		t.Error("the other request of the failed batch succeeded")
	}
	var n int
	if err := db.Read().QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows kept (%v), want none", n, err)
	}
}

// TestFirstRequestOfABatchRunsWithoutSavepoint: the first request of a
// shared transaction runs without a savepoint (its page images are not
// kept, so they never spill to a temporary file); when it fails, the
// transaction is begun again, so nothing of it is kept and the requests
// after it commit.
func TestFirstRequestOfABatchRunsWithoutSavepoint(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/fd")
	}
	ctx := context.Background()
	db, lg := openTestLog(t, DefaultConfig(1))
	if err := lg.Update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE t (x INTEGER PRIMARY KEY, v TEXT)`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i+1 FROM n WHERE i<299)
			INSERT INTO t (x, v) SELECT i, printf('%0500d', i) FROM n`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	tempFiles := func() (out []string) {
		ents, _ := os.ReadDir("/proc/self/fd")
		for _, e := range ents {
			if to, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.Contains(to, "etilqs_") {
				out = append(out, to)
			}
		}
		return out
	}
	entered, hold := make(chan struct{}), make(chan struct{})
	errs := make([]chan error, 4)
	for i := range errs {
		errs[i] = make(chan error, 1)
	}
	go func() { errs[0] <- lg.Update(ctx, func(*Tx) error { close(entered); <-hold; return nil }) }()
	<-entered
	var spilled []string
	reqs := []func(tx *Tx) error{
		func(tx *Tx) error { // first of the batch: refused after a write
			if _, err := tx.ExecContext(ctx, `INSERT INTO t (x, v) VALUES (1, 'refused')`); err != nil {
				return err
			}
			return errors.New("refused")
		},
		func(tx *Tx) error { // first of the transaction begun again: rewrites every page
			for x := 100; x < 300; x++ {
				if _, err := tx.ExecContext(ctx, `UPDATE t SET v=v||'y' WHERE x=?`, x); err != nil {
					return err
				}
			}
			spilled = tempFiles()
			return nil
		},
		func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO t (x, v) VALUES (2, 'kept')`)
			return err
		},
	}
	for i, fn := range reqs {
		go func() { errs[i+1] <- lg.Update(ctx, fn) }()
		waitQueued(t, lg, i+1)
	}
	close(hold)
	if err := <-errs[0]; err != nil {
		t.Fatal(err)
	}
	if err := <-errs[1]; err == nil || err.Error() != "refused" {
		t.Errorf("the refused request: %v", err)
	}
	for i := 2; i < 4; i++ {
		if err := <-errs[i]; err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if len(spilled) > 0 {
		t.Errorf("the first request of the transaction spilled page images to %v", spilled)
	}
	var got []int
	rows, err := db.Read().QueryContext(ctx, `SELECT x FROM t WHERE x<100 OR v NOT LIKE '%y' ORDER BY x`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var x int
		rows.Scan(&x)
		got = append(got, x)
	}
	if len(got) != 1 || got[0] != 2 {
		t.Errorf("rows outside the rewritten ones or not rewritten: %v, want [2]", got)
	}
}

// openTestLog opens a log without fsync over a new database.
// openProposingLog opens a log of node 1 whose Proposer hands each
// proposal to prop.got (room for one).
func openProposingLog(t *testing.T) (recordingProposer, *Log) {
	t.Helper()
	cfg := DefaultConfig(1)
	prop := recordingProposer{got: make(chan []Op, 1)}
	cfg.Proposer = prop
	_, lg := openTestLog(t, cfg)
	return prop, lg
}

func openTestLog(t *testing.T, cfg Config) (*DB, *Log) {
	t.Helper()
	return openTestLogApplier(t, cfg, nopApplier{})
}

func openTestLogApplier(t *testing.T, cfg Config, ap Applier) (*DB, *Log) {
	t.Helper()
	ctx := context.Background()
	db, err := OpenDBOptions(ctx, filepath.Join(t.TempDir(), "c.db"), nil, DBOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	lg := NewLog(db, cfg, ap)
	if err := lg.Open(ctx); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close(); db.Close() })
	return db, lg
}

// waitQueued polls until n requests wait in the writer's queue.
func waitQueued(t *testing.T, lg *Log, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(lg.reqs) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued, want %d", len(lg.reqs), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestDryRunIsMarked: a command on a log with a Proposer runs as a dry run
// (Tx.DryRun true, what an applier may skip work on); the state machine's
// own writes (Direct) are not dry runs, nor is any write on a log without
// a Proposer.
func TestDryRunIsMarked(t *testing.T) {
	ctx := context.Background()
	prop, lg := openProposingLog(t)
	_, plain := openTestLog(t, DefaultConfig(2))
	for _, c := range []struct {
		name string
		lg   *Log
		ctx  context.Context
		want bool
	}{{"proposed", lg, ctx, true}, {"direct", lg, Direct(ctx), false}, {"no proposer", plain, ctx, false}} {
		var dry bool
		err := c.lg.Update(c.ctx, func(tx *Tx) error {
			dry = tx.DryRun()
			_, err := tx.Emit(ctx, "k", map[string]int{"n": 1}, "test", "api")
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if dry != c.want {
			t.Errorf("%s: DryRun %v, want %v", c.name, dry, c.want)
		}
	}
	if ops := <-prop.got; len(ops) != 1 {
		t.Fatalf("proposed %d ops, want 1", len(ops))
	}
}

// rowApplier inserts each op's n into table t, counting its calls; a
// negative n fails.
type rowApplier struct{ calls *int }

func (a rowApplier) Apply(ctx context.Context, tx *Tx, op Op) error {
	*a.calls++
	var p struct{ N int }
	if err := json.Unmarshal(op.Payload, &p); err != nil {
		return err
	}
	if p.N < 0 {
		return errors.New("negative n")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO t (x) VALUES (?)`, p.N)
	return err
}

// TestDryRunAppliesWhatItReads: a dry run applies the ops a command emitted
// only when the command reads after them (so it reads its own writes, one
// op or a batch); ops emitted after its last read are proposed without
// being applied in the dry run. An op that fails to apply before a read
// fails the command, with the applier's error, and nothing is proposed.
func TestDryRunAppliesWhatItReads(t *testing.T) {
	ctx := context.Background()
	calls := 0
	cfg := DefaultConfig(1)
	prop := recordingProposer{got: make(chan []Op, 1)}
	cfg.Proposer = prop
	_, lg := openTestLogApplier(t, cfg, rowApplier{&calls})
	if err := lg.Update(Direct(ctx), func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE t (x INTEGER)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	emit := func(tx *Tx, n int) error {
		_, err := tx.Emit(ctx, "k", map[string]int{"n": n}, "test", "api")
		return err
	}
	count := func(tx *Tx) (int, error) {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n)
		return n, err
	}
	var seen []int
	err := lg.Update(ctx, func(tx *Tx) error {
		if err := emit(tx, 1); err != nil {
			return err
		}
		n, err := count(tx)
		seen = append(seen, n)
		if err != nil {
			return err
		}
		b1, _ := json.Marshal(map[string]int{"n": 2})
		b2, _ := json.Marshal(map[string]int{"n": 3})
		if _, err := tx.EmitBatch(ctx, []Op{{Kind: "k", Payload: b1}, {Kind: "k", Payload: b2}}); err != nil {
			return err
		}
		n, err = count(tx)
		seen = append(seen, n)
		if err != nil {
			return err
		}
		return emit(tx, 4) // read by nothing
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0] != 1 || seen[1] != 3 {
		t.Errorf("the command read %v rows after its emits, want [1 3]", seen)
	}
	if calls != 3 {
		t.Errorf("%d ops applied in the dry run, want 3 (the fourth is read by nothing)", calls)
	}
	if ops := <-prop.got; len(ops) != 4 {
		t.Errorf("proposed %d ops, want 4", len(ops))
	}

	// A failing op read after fails the command; nothing is proposed.
	err = lg.Update(ctx, func(tx *Tx) error {
		if err := emit(tx, -1); err != nil {
			return err
		}
		_, err := count(tx)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "negative n") {
		t.Errorf("a failing op read after: %v, want the applier's error", err)
	}
	select {
	case ops := <-prop.got:
		t.Errorf("proposed %+v after a failed dry run", ops)
	default:
	}

	// Every way of reading or writing through the transaction applies
	// what was emitted before it.
	reads := map[string]func(tx *Tx) (int, error){
		"QueryContext": func(tx *Tx) (int, error) {
			rows, err := tx.QueryContext(ctx, `SELECT x FROM t`)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				n++
			}
			return n, rows.Err()
		},
		"ExecContext": func(tx *Tx) (int, error) {
			res, err := tx.ExecContext(ctx, `UPDATE t SET x=x`)
			if err != nil {
				return 0, err
			}
			n, err := res.RowsAffected()
			return int(n), err
		},
		"ExecValues": func(tx *Tx) (int, error) {
			if err := tx.ExecValues(ctx, `INSERT INTO t (x)`, 1, ``, []any{100}); err != nil {
				return 0, err
			}
			// The op's row first, then this one: rows before it.
			var n int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE rowid < (SELECT rowid FROM t WHERE x=100)`).Scan(&n)
			return n, err
		},
	}
	for name, read := range reads {
		calls = 0
		var got int
		err := lg.Update(ctx, func(tx *Tx) error {
			if err := emit(tx, 1); err != nil {
				return err
			}
			var err error
			got, err = read(tx)
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if calls != 1 || got < 1 {
			t.Errorf("%s: %d ops applied before it, it saw %d rows; want the emitted op applied and seen", name, calls, got)
		}
		<-prop.got
	}
}
