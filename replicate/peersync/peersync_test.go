package peersync_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/replicate"
	"stacks/replicate/peersync"
	"stacks/replicate/replicatetest"
)

type node struct {
	log *replicate.Log
	db  *replicate.DB
	srv *httptest.Server
	sd  *peersync.Server
}

type clock struct{}

func (clock) Now() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }

func newNode(t *testing.T, id replicate.NodeID) *node {
	t.Helper()
	ctx := context.Background()
	db, err := replicate.OpenDBOptions(ctx, filepath.Join(t.TempDir(), "n.db"),
		[]replicate.Migration{{Component: "kv", Version: 1, SQL: replicatetest.KVTable}},
		replicate.DBOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	lg := replicate.NewLog(db, replicate.Config{Node: id, Clock: clock{}, MaxBatch: 64}, replicatetest.KV{})
	if err := lg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	n := &node{log: lg, db: db}
	n.sd = peersync.NewServer(lg, knownKinds, nil)
	mux := http.NewServeMux()
	n.sd.Register(mux)
	n.srv = httptest.NewServer(mux)
	t.Cleanup(func() { n.srv.Close(); lg.Close(); db.Close() })
	return n
}

func knownKinds(op replicate.Op) error {
	if op.Kind != "kv.set" {
		return fmt.Errorf("unknown op kind %q", op.Kind)
	}
	return nil
}

func (n *node) write(t *testing.T, count int, prefix string) {
	t.Helper()
	for i := 0; i < count; i += 100 {
		err := n.log.Update(context.Background(), func(tx *replicate.Tx) error {
			for j := i; j < min(i+100, count); j++ {
				if _, err := tx.Emit(context.Background(), "kv.set", map[string]string{"K": fmt.Sprintf("%s%d", prefix, j%50), "V": fmt.Sprint(j)}, "test", "api"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (n *node) hash(t *testing.T) string {
	t.Helper()
	h, err := replicate.StateHash(context.Background(), n.db.Read(), []string{"kv"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func vv(t *testing.T, n *node) string {
	v, err := n.log.VersionVector(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v.String()
}

func TestPullAndPush(t *testing.T) {
	a, b := newNode(t, 1), newNode(t, 2)
	a.write(t, 3000, "a")
	b.write(t, 1200, "b")
	s := peersync.NewSyncer(b.log, peersync.SyncerConfig{Peers: []string{a.srv.URL}, Validate: knownKinds})
	if err := s.SyncOnce(context.Background(), a.srv.URL); err != nil {
		t.Fatal(err)
	}
	if vv(t, a) != vv(t, b) || a.hash(t) != b.hash(t) {
		t.Fatalf("not converged: %s / %s", vv(t, a), vv(t, b))
	}
	st := s.Status()[0]
	if st.OpsPulled != 3000 || st.OpsPushed != 1200 || st.BytesIn == 0 || st.LastSuccess.IsZero() || st.OpsBehind != 3000 {
		t.Fatalf("status %+v", st)
	}
	// A second sync moves nothing.
	if err := s.SyncOnce(context.Background(), a.srv.URL); err != nil {
		t.Fatal(err)
	}
	if st := s.Status()[0]; st.OpsPulled != 3000 || st.OpsBehind != 0 {
		t.Fatalf("second sync %+v", st)
	}
}

// bodyTransport sends r and hands its response's body on through wrap,
// as a link that alters the stream does (closing still closes the body).
func bodyTransport(r *http.Request, wrap func(io.Reader) io.Reader) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{wrap(resp.Body), resp.Body}
	return resp, nil
}

// cutTransport cuts every response body after n bytes, like a dropped link.
type cutTransport struct{ n int64 }

func (c cutTransport) Do(r *http.Request) (*http.Response, error) {
	return bodyTransport(r, func(b io.Reader) io.Reader { return io.LimitReader(b, c.n) })
}

func TestCutStreamResumes(t *testing.T) {
	a, b := newNode(t, 1), newNode(t, 2)
	a.write(t, 9000, "k") // several frames
	s := peersync.NewSyncer(b.log, peersync.SyncerConfig{Transport: cutTransport{n: 9000}, Validate: knownKinds})
	err := s.SyncOnce(context.Background(), a.srv.URL)
	if !errors.Is(err, replicate.ErrBadFrame) {
		t.Fatalf("cut stream: %v", err)
	}
	partial := vv(t, b)
	// Whatever arrived whole is kept; the rest comes on the next pull.
	full := peersync.NewSyncer(b.log, peersync.SyncerConfig{Validate: knownKinds})
	for i := 0; i < 3 && vv(t, a) != vv(t, b); i++ {
		if err := full.SyncOnce(context.Background(), a.srv.URL); err != nil {
			t.Fatal(err)
		}
	}
	if vv(t, a) != vv(t, b) || a.hash(t) != b.hash(t) {
		t.Fatalf("after resume %s vs %s (partial was %s)", vv(t, b), vv(t, a), partial)
	}
}

func TestBadBatchRejectedWhole(t *testing.T) {
	a := newNode(t, 1)
	good := []replicate.Op{{Origin: 9, Counter: 1, HLC: 1 << 16, Kind: "kv.set", Payload: []byte(`{"K":"x","V":"1"}`)}}
	newer := []replicate.Op{{Origin: 9, Counter: 2, HLC: 2 << 16, Kind: "kv.set", Payload: []byte(`{"K":"y","V":"2"}`)},
		{Origin: 9, Counter: 3, HLC: 3 << 16, Kind: "kv.teleport", Payload: []byte(`{}`)}}
	corrupt := replicate.EncodeFrame(nil, good)
	corrupt[len(corrupt)-2] ^= 0x55
	tests := []struct {
		name string
		body []byte
	}{
		{"UnknownKind", replicate.EncodeFrame(nil, newer)},
		{"BadChecksum", corrupt},
		{"Truncated", replicate.EncodeFrame(nil, good)[:20]},
		{"Garbage", []byte("hello, this is not a frame at all")},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := vv(t, a)
			resp, err := http.Post(a.srv.URL+"/sync/v1/push", "application/x-stacks-ops", bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), "bad sync frame") {
				t.Fatalf("%d %s", resp.StatusCode, msg)
			}
			if vv(t, a) != before {
				t.Fatal("a rejected batch changed the log")
			}
			if got := a.sd.RejectedFrames.Load(); got != int64(i+1) {
				t.Fatalf("rejected counter %d", got)
			}
		})
	}
}

// TestRelay: ops travel A -> B -> C (star) and C -> B -> A; any node serves
// any origin's ops.
func TestRelay(t *testing.T) {
	a, b, c := newNode(t, 1), newNode(t, 2), newNode(t, 3)
	a.write(t, 500, "a")
	c.write(t, 700, "c")
	sb := peersync.NewSyncer(b.log, peersync.SyncerConfig{Validate: knownKinds})
	for round := 0; round < 2; round++ {
		for _, peer := range []*node{a, c} {
			if err := sb.SyncOnce(context.Background(), peer.srv.URL); err != nil {
				t.Fatal(err)
			}
		}
	}
	if vv(t, a) != vv(t, c) || a.hash(t) != c.hash(t) || b.hash(t) != a.hash(t) {
		t.Fatalf("relay: %s %s %s", vv(t, a), vv(t, b), vv(t, c))
	}
}

func TestRunBacksOffAndRecovers(t *testing.T) {
	a, b := newNode(t, 1), newNode(t, 2)
	a.write(t, 100, "a")
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // nothing listens here
	s := peersync.NewSyncer(b.log, peersync.SyncerConfig{Peers: []string{down.URL, a.srv.URL}, Interval: 10 * time.Millisecond,
		MaxBackoff: 40 * time.Millisecond, Validate: knownKinds})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	// Converged, and the round that converged it over (its success
	// recorded): cancelling mid-round leaves "context canceled" instead.
	for vv(t, a) != vv(t, b) || s.Status()[0].Errors < 3 || s.Status()[1].LastSuccess.IsZero() {
		if time.Now().After(deadline) {
			t.Fatalf("no progress: %+v", s.Status())
		}
		time.Sleep(5 * time.Millisecond) // poll
	}
	cancel()
	<-done
	st := s.Status()
	if st[0].LastError == "" || !st[0].LastSuccess.IsZero() || st[1].LastSuccess.IsZero() {
		t.Fatalf("status %+v", st)
	}
}
