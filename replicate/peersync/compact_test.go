package peersync_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"stacks/replicate"
	"stacks/replicate/peersync"
)

func kvValue(t *testing.T, n *node, k string) string {
	t.Helper()
	var v string
	if err := n.db.Read().QueryRow(`SELECT v FROM kv WHERE k=?`, k).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCompactionAndRebootstrap: a (central) compacts what every live
// replica holds and announces the stable vector; b learns it; c, away past
// the horizon, comes back: its pull is refused (410, re-bootstrap), its own
// unsynced ops are pushed first and accepted, and its status says what to
// run. A raw pull from below the floor gets the problem code.
func TestCompactionAndRebootstrap(t *testing.T) {
	ctx := context.Background()
	a, b, c := newNode(t, 1), newNode(t, 2), newNode(t, 3)
	a.write(t, 300, "a")
	b.write(t, 200, "b")
	c.write(t, 100, "c")
	sb := peersync.NewSyncer(b.log, peersync.SyncerConfig{Validate: knownKinds})
	sc := peersync.NewSyncer(c.log, peersync.SyncerConfig{Validate: knownKinds})
	for i := 0; i < 2; i++ {
		for _, s := range []*peersync.Syncer{sb, sc} {
			if err := s.SyncOnce(ctx, a.srv.URL); err != nil {
				t.Fatal(err)
			}
		}
	}
	// c goes silent; a and b carry on, and a compacts everything b holds.
	a.write(t, 100, "a")
	if err := sb.SyncOnce(ctx, a.srv.URL); err != nil {
		t.Fatal(err)
	}
	stable, _ := b.log.VersionVector(ctx)
	a.sd.SetStable(func(context.Context) replicate.VersionVector { return stable })
	for {
		res, err := a.log.Compact(ctx, stable, 128)
		if err != nil {
			t.Fatal(err)
		}
		if !res.More {
			break
		}
	}
	if err := sb.SyncOnce(ctx, a.srv.URL); err != nil {
		t.Fatal(err)
	}
	if got := sb.Stable(); got.String() != stable.String() {
		t.Fatalf("b learned stable %v, want %v", got, stable)
	}
	// Meanwhile c wrote offline, on keys a and b wrote too.
	c.write(t, 60, "a")
	cBefore, _ := c.log.VersionVector(ctx)

	var refused []string
	a.sd.OnRebootstrap(func(node string, err *replicate.CompactedError) { refused = append(refused, node) })
	err := sc.SyncOnce(ctx, a.srv.URL)
	if !errors.Is(err, peersync.ErrRebootstrap) {
		t.Fatalf("returning replica: %v", err)
	}
	aVV, _ := a.log.VersionVector(ctx)
	if aVV[3] != cBefore[3] {
		t.Fatalf("c's own ops were not pushed first: a holds %d of c's %d", aVV[3], cBefore[3])
	}
	st := sc.Status()[0]
	if !strings.Contains(st.Rebootstrap, "--bootstrap-from "+a.srv.URL) || sc.NeedsRebootstrap() == "" {
		t.Fatalf("status does not say what to run: %+v", st)
	}
	if len(refused) != 1 || refused[0] != c.log.Node().String() {
		t.Fatalf("server told of refusals %v", refused)
	}
	// c's late ops merged at a last-writer-wins over compacted writes:
	// they came later (HLC) so they win, as on an uncompacted replica.
	if err := sb.SyncOnce(ctx, a.srv.URL); err != nil {
		t.Fatal(err)
	}
	if a.hash(t) != b.hash(t) || kvValue(t, a, "a10") != kvValue(t, b, "a10") {
		t.Fatal("compacted a and uncompacted b differ after c's late ops")
	}

	// A raw pull from below the floor: 410 with the code.
	body := strings.NewReader(`{"node":"0000000000000009","vector":{}}`)
	resp, err := http.Post(a.srv.URL+peersync.SyncPullPath, "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var problem struct{ Code string }
	json.NewDecoder(resp.Body).Decode(&problem)
	if resp.StatusCode != http.StatusGone || problem.Code != peersync.CodeRebootstrap || resp.Header.Get("X-Stacks-Vector") == "" {
		t.Fatalf("pull below the floor: %d %+v", resp.StatusCode, problem)
	}
}

// hookTransport runs before once, ahead of the first request it carries.
type hookTransport struct {
	before func()
	done   bool
}

func (h *hookTransport) Do(r *http.Request) (*http.Response, error) {
	if !h.done {
		h.done = true
		h.before()
	}
	return http.DefaultClient.Do(r)
}

// TestPullOvertakenByCompaction: a pull whose vector was below the
// server's floor when sent, but which the puller passed meanwhile through
// another peer, is asked again, not reported as a re-bootstrap.
func TestPullOvertakenByCompaction(t *testing.T) {
	ctx := context.Background()
	a, b, c := newNode(t, 1), newNode(t, 2), newNode(t, 3)
	a.write(t, 300, "a")
	// c holds all of a's ops; a compacts them; b has none yet.
	if err := peersync.NewSyncer(c.log, peersync.SyncerConfig{Validate: knownKinds}).SyncOnce(ctx, a.srv.URL); err != nil {
		t.Fatal(err)
	}
	stable, _ := a.log.VersionVector(ctx)
	if _, err := a.log.Compact(ctx, stable, 1000); err != nil {
		t.Fatal(err)
	}
	a.write(t, 10, "late")
	// b's pull to a leaves with b's empty vector; before a answers, b gets
	// everything from c.
	fromC := peersync.NewSyncer(b.log, peersync.SyncerConfig{Validate: knownKinds})
	hook := &hookTransport{before: func() {
		if err := fromC.SyncOnce(ctx, c.srv.URL); err != nil {
			t.Error(err)
		}
	}}
	s := peersync.NewSyncer(b.log, peersync.SyncerConfig{Validate: knownKinds, Transport: hook})
	if err := s.SyncOnce(ctx, a.srv.URL); err != nil {
		t.Fatalf("overtaken pull: %v", err)
	}
	if st := s.Status()[0]; st.Rebootstrap != "" || a.sd.Rebootstraps.Load() != 1 {
		t.Fatalf("refusals %d, status %+v", a.sd.Rebootstraps.Load(), st)
	}
	if vv(t, a) != vv(t, b) || a.hash(t) != b.hash(t) {
		t.Fatalf("not converged: %s / %s", vv(t, a), vv(t, b))
	}
}
