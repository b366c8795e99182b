package imports

import (
	"context"
	"sync"
	"time"
)

// The batches of one run (domain.ImportOptions Run and Seq) are applied in
// order: a client may send the next batch before the answer to the last
// one comes, so that reading and decoding one batch overlaps with writing
// the one before, and each record still matches every record before it in
// the file, as if the batches had been sent one after the other.

// orderWait is how long a batch waits for the one before it: a batch that
// never comes (its request failed before it was read) holds the run up no
// longer than this.
const orderWait = time.Minute

// runIdle is how long a run that sends nothing is remembered.
const runIdle = 10 * time.Minute

type runState struct {
	next    int           // the Seq whose turn it is
	changed chan struct{} // closed when next moves
	used    time.Time
}

var runs = struct {
	sync.Mutex
	m map[string]*runState
}{m: map[string]*runState{}}

// awaitTurn waits until batch seq of run may be applied (every batch
// before it has been, or orderWait passed), and returns the function that
// hands the turn on; call it once the batch is committed or has failed.
func awaitTurn(ctx context.Context, run string, seq int) (done func(), err error) {
	if run == "" {
		return func() {}, nil
	}
	deadline := time.NewTimer(orderWait)
	defer deadline.Stop()
	for {
		runs.Lock()
		st := runs.m[run]
		if st == nil {
			st = &runState{changed: make(chan struct{})}
			runs.m[run] = st
		}
		st.used = time.Now()
		if st.next >= seq {
			runs.Unlock()
			break
		}
		ch := st.changed
		runs.Unlock()
		select {
		case <-ch:
			continue
		case <-deadline.C:
		case <-ctx.Done():
			passTurn(run, seq)
			return nil, ctx.Err()
		}
		break
	}
	return func() { passTurn(run, seq) }, nil
}

// passTurn hands the turn of run on from batch seq: it is done, or it
// failed before it could wait for its turn.
func passTurn(run string, seq int) {
	if run == "" || len(run) > 64 {
		return
	}
	runs.Lock()
	defer runs.Unlock()
	now := time.Now()
	for k, st := range runs.m {
		if now.Sub(st.used) > runIdle {
			delete(runs.m, k)
		}
	}
	st := runs.m[run]
	if st == nil {
		st = &runState{changed: make(chan struct{})}
		runs.m[run] = st
	}
	st.used = now
	if seq+1 > st.next {
		st.next = seq + 1
		close(st.changed)
		st.changed = make(chan struct{})
	}
}
