package replicate

import (
	"context"
	"path/filepath"
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
	db, err := OpenDBOptions(ctx, filepath.Join(t.TempDir(), "c.db"), nil, DBOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := DefaultConfig(1)
	prop := recordingProposer{got: make(chan []Op, 1)}
	cfg.Proposer = prop
	lg := NewLog(db, cfg, nopApplier{})
	if err := lg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer lg.Close()

	// The writer is held by a first request while the dry run and a slow
	// request queue behind it: the two then share the next batch.
	entered, hold, slow := make(chan struct{}), make(chan struct{}), make(chan struct{})
	errs := make(chan error, 3)
	go func() {
		errs <- lg.Update(Direct(ctx), func(*Tx) error { close(entered); <-hold; return nil })
	}()
	<-entered
	waitQueued := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for len(lg.reqs) != n {
			if time.Now().After(deadline) {
				t.Fatalf("%d requests queued, want %d", len(lg.reqs), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	go func() {
		errs <- lg.Update(ctx, func(tx *Tx) error {
			_, err := tx.Emit(ctx, "k", map[string]int{"n": 1}, "test", "api")
			return err
		})
	}()
	waitQueued(1)
	go func() {
		errs <- lg.Update(Direct(ctx), func(*Tx) error { <-slow; return nil })
	}()
	waitQueued(2)
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
