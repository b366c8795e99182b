package replicate

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"stacks/replicate/walvfs"
)

// TestUpdateRunsInlineWhenFree: an Update on a log whose writer is free
// runs its batch on the caller's goroutine (no hand-off to the writer
// goroutine and back), and is committed like any other.
func TestUpdateRunsInlineWhenFree(t *testing.T) {
	ctx := context.Background()
	db, lg := openTestLog(t, DefaultConfig(1))
	for i := range 20 {
		emitOne(t, lg, i)
	}
	if n := lg.Inline.Load(); n != 20 {
		t.Errorf("%d of 20 lone updates ran inline", n)
	}
	var ops int
	if err := db.Read().QueryRowContext(ctx, `SELECT count(*) FROM ops`).Scan(&ops); err != nil {
		t.Fatal(err)
	}
	if ops != 20 {
		t.Errorf("%d ops committed, want 20", ops)
	}
}

// TestConcurrentUpdatesAllCommit: many callers at once, some finding the
// writer free and some not, all have their update committed exactly once
// and none waits for ever (a request queued while another caller holds
// the writer is run by it or by the writer goroutine).
func TestConcurrentUpdatesAllCommit(t *testing.T) {
	ctx := context.Background()
	db, lg := openTestLog(t, DefaultConfig(1))
	const callers, each = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := lg.Update(ctx, func(tx *Tx) error {
					_, err := tx.Emit(ctx, "k", map[string]int{"c": c, "i": i}, "test", "api")
					return err
				}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("updates still waiting after two minutes")
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var ops int
	if err := db.Read().QueryRowContext(ctx, `SELECT count(*) FROM ops`).Scan(&ops); err != nil {
		t.Fatal(err)
	}
	if ops != callers*each {
		t.Errorf("%d ops committed, want %d", ops, callers*each)
	}
}

// TestUpdatesRacingCloseEnd: updates that race with Close either commit
// or answer ErrClosed; none hangs.
func TestUpdatesRacingCloseEnd(t *testing.T) {
	ctx := context.Background()
	_, lg := openTestLog(t, DefaultConfig(1))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				err := lg.Update(ctx, func(tx *Tx) error {
					_, err := tx.Emit(ctx, "k", map[string]int{"c": c, "i": i}, "test", "api")
					return err
				})
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	lg.Close()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("updates still waiting a minute after Close")
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestPanicInBatchEndsProcess: a panic in a batch outside a request's own
// function (here a commit hook) leaves the transaction open and the writer
// taken. Run inline on a caller's goroutine, it must still end the process,
// as on the writer goroutine, even when the caller recovers panics (an HTTP
// handler does): otherwise every later write would wait for ever.
func TestPanicInBatchEndsProcess(t *testing.T) {
	if os.Getenv("STACKS_PANIC_CHILD") == "1" {
		ctx := context.Background()
		cfg := DefaultConfig(1)
		cfg.BeforeCommit = func() error { panic("boom in the commit hook") }
		_, lg := openTestLog(t, cfg)
		func() {
			defer func() { recover() }()
			lg.Update(ctx, func(tx *Tx) error {
				_, err := tx.Emit(ctx, "k", map[string]int{"n": 1}, "test", "api")
				return err
			})
		}()
		os.Exit(0) // the panic was swallowed
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPanicInBatchEndsProcess$")
	cmd.Env = append(os.Environ(), "STACKS_PANIC_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the process went on after the panic:\n%s", out)
	}
	if !strings.Contains(string(out), "boom in the commit hook") {
		t.Fatalf("the process ended without the panic's message: %v\n%s", err, out)
	}
}

// TestVersionVectorUpsertPrepared: the upsert of the log's own counter,
// run at every commit, is one of the writer's prepared statements (run
// unprepared, its parse cost more than its step), and records the counter.
func TestVersionVectorUpsertPrepared(t *testing.T) {
	ctx := context.Background()
	db, lg := openTestLog(t, DefaultConfig(1))
	for i := range 3 {
		emitOne(t, lg, i)
	}
	<-lg.tok
	_, prepared := lg.stmts[versionVectorUpsert]
	lg.tok <- struct{}{}
	if !prepared {
		t.Error("the version vector's upsert is not among the writer's prepared statements after three commits")
	}
	var counter int64
	if err := db.Read().QueryRowContext(ctx, `SELECT counter FROM version_vector WHERE origin=1`).Scan(&counter); err != nil {
		t.Fatal(err)
	}
	if counter != 3 {
		t.Errorf("version vector records counter %d for this node after three ops, want 3", counter)
	}
}

// TestCommitIsOneWALWrite: the writer's database is opened with walvfs, so
// a commit of an op (the op log, the version vector, their indexes: several
// pages) reaches the WAL file in one write.
func TestCommitIsOneWALWrite(t *testing.T) {
	_, lg := openTestLog(t, DefaultConfig(1))
	for i := range 5 {
		before := walvfs.Writes()
		emitOne(t, lg, i)
		if n := walvfs.Writes() - before; n != 1 {
			t.Errorf("commit %d made %d writes to the WAL, want 1", i, n)
		}
	}
}

// emitOne commits one op through lg.
func emitOne(t *testing.T, lg *Log, i int) {
	t.Helper()
	ctx := context.Background()
	if err := lg.Update(ctx, func(tx *Tx) error {
		_, err := tx.Emit(ctx, "k", map[string]int{"n": i}, "test", "api")
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
