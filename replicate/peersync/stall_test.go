package peersync_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"stacks/replicate/peersync"
)

// stallingTransport passes the first n bytes of every pull's body, then
// hangs as a peer whose link went quiet does: until the request is
// cancelled.
type stallingTransport struct{ n int64 }

func (s stallingTransport) Do(r *http.Request) (*http.Response, error) {
	return bodyTransport(r, func(b io.Reader) io.Reader {
		return io.MultiReader(io.LimitReader(b, s.n), hang{r.Context()})
	})
}

type hang struct{ ctx context.Context }

func (h hang) Read([]byte) (int, error) {
	<-h.ctx.Done()
	return 0, h.ctx.Err()
}

// slowTransport hands every body on in small pieces with a pause between
// them, as a slow link does: the whole takes much longer than the stall
// timeout, but bytes never stop coming for that long.
type slowTransport struct {
	piece int
	pause time.Duration
}

func (s slowTransport) Do(r *http.Request) (*http.Response, error) {
	return bodyTransport(r, func(b io.Reader) io.Reader { return &trickle{r: b, piece: s.piece, pause: s.pause} })
}

type trickle struct {
	r     io.Reader
	piece int
	pause time.Duration
}

func (t *trickle) Read(p []byte) (int, error) {
	time.Sleep(t.pause) // the link's pace, not a wait for a condition
	return t.r.Read(p[:min(len(p), t.piece)])
}

func TestStalledPullIsCutAndKeepsWhatArrived(t *testing.T) {
	a, b := newNode(t, 1), newNode(t, 2)
	a.write(t, 9000, "k") // several frames
	s := peersync.NewSyncer(b.log, peersync.SyncerConfig{Transport: stallingTransport{n: 20000}, Validate: knownKinds,
		StallTimeout: 200 * time.Millisecond})
	start := time.Now()
	err := s.SyncOnce(context.Background(), a.srv.URL)
	if !errors.Is(err, peersync.ErrStalled) {
		t.Fatalf("stalled pull: %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("a stalled pull took %s to be cut", took)
	}
	st := s.Status()[0]
	if st.RejectedBatch != 0 || st.OpsPulled == 0 || st.OpsPulled >= 9000 {
		t.Fatalf("status after the stall %+v", st)
	}
	// What arrived whole is kept; a healthy pull brings the rest.
	full := peersync.NewSyncer(b.log, peersync.SyncerConfig{Validate: knownKinds})
	if err := full.SyncOnce(context.Background(), a.srv.URL); err != nil {
		t.Fatal(err)
	}
	if vv(t, a) != vv(t, b) || a.hash(t) != b.hash(t) {
		t.Fatalf("after the stall %s vs %s", vv(t, b), vv(t, a))
	}
}

func TestSlowPullIsNotCut(t *testing.T) {
	a, b := newNode(t, 1), newNode(t, 2)
	a.write(t, 3000, "k")
	// The stream (~60 KB) in pieces of 1 KiB, 20 ms apart: over a second
	// in all against a stall timeout of 300 ms, which an overall timeout
	// would have cut; no pause comes near it.
	s := peersync.NewSyncer(b.log, peersync.SyncerConfig{Transport: slowTransport{piece: 1 << 10, pause: 20 * time.Millisecond},
		Validate: knownKinds, StallTimeout: 300 * time.Millisecond})
	start := time.Now()
	if err := s.SyncOnce(context.Background(), a.srv.URL); err != nil {
		t.Fatalf("slow pull after %s: %v", time.Since(start), err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Fatalf("the pull took %s: too fast to show anything about the stall timeout", took)
	}
	if vv(t, a) != vv(t, b) || a.hash(t) != b.hash(t) {
		t.Fatalf("not converged: %s / %s", vv(t, a), vv(t, b))
	}
}

func TestStreamingDropsOverallTimeout(t *testing.T) {
	c := &http.Client{Timeout: time.Minute}
	d, ok := peersync.Streaming(c).(*http.Client)
	if !ok || d.Timeout != 0 || c.Timeout != time.Minute {
		t.Fatalf("Streaming: %#v (original %s)", d, c.Timeout)
	}
	var other peersync.Doer = stallingTransport{}
	if peersync.Streaming(other) != other {
		t.Fatal("Streaming changed a transport that is not an *http.Client")
	}
}
