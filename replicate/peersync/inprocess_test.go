package peersync_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"stacks/replicate"
	sclock "stacks/replicate/clock"
	"stacks/replicate/peersync"
)

// TestRunOnTheClock drives the sync loops with a fake clock: nothing
// happens until it moves; a healthy peer is synced every interval; a peer
// that fails is tried less and less often (exponential backoff to
// MaxBackoff); Stop leaves no timer armed.
func TestRunOnTheClock(t *testing.T) {
	a, b := newNode(t, 1), newNode(t, 2)
	a.write(t, 100, "a")
	hosts := peersync.NewHosts()
	hosts.HandleServer("a", a.sd)
	fake := sclock.NewFake(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	s := peersync.NewSyncer(b.log, peersync.SyncerConfig{Peers: []string{"http://down", "http://a"}, Transport: &peersync.InProcess{Hosts: hosts},
		Clock: fake, Interval: time.Minute, MaxBackoff: 8 * time.Minute, Validate: knownKinds})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	waitFor(t, "the loops to arm their timers", func() bool { return fake.Waiting() == 2 })
	if st := s.Status(); !st[0].LastAttempt.IsZero() || !st[1].LastAttempt.IsZero() {
		t.Fatalf("synced before the clock moved: %+v", st)
	}
	fake.Advance(0) // the first round of each loop is due at once
	waitFor(t, "the first sync", func() bool { return vv(t, a) == vv(t, b) && s.Status()[0].Errors == 1 })

	// The healthy peer is synced again within an interval and a half.
	a.write(t, 10, "again")
	fake.Advance(90 * time.Second)
	waitFor(t, "the next sync", func() bool { return vv(t, a) == vv(t, b) })

	// Over an hour, the failing peer is tried far less often than every
	// minute: waits of 2, 4, then 8 minutes, each jittered to 50-150%.
	for i := 0; i < 60; i++ {
		fake.Advance(time.Minute)
	}
	st := s.Status()
	if st[0].Errors < 6 || st[0].Errors > 20 {
		t.Fatalf("failing peer tried %d times in an hour and a half", st[0].Errors)
	}
	if st[1].Errors != 0 || st[1].LastSuccess.Before(fake.Now().Add(-90*time.Second)) {
		t.Fatalf("healthy peer %+v at %v", st[1], fake.Now())
	}
	cancel()
	<-done
	if n := fake.Waiting(); n != 0 {
		t.Fatalf("%d timers armed after Stop", n)
	}
	fake.Advance(time.Hour)
	if got := s.Status()[0].Errors; got != st[0].Errors {
		t.Fatal("a loop ran after Stop")
	}
}

// faulty is a Network that loses, duplicates or cuts what it is told to.
type faulty struct {
	lose, dup bool
	cut       int
	served    int
}

func (f *faulty) Carry(ctx context.Context, x *peersync.Exchange) error {
	if f.lose {
		return errors.New("lost")
	}
	x.Serve()
	f.served++
	if f.dup {
		x.Serve()
		f.served++
	}
	if f.cut > 0 && x.Path == peersync.SyncPullPath {
		x.Cut(f.cut)
	}
	return nil
}

// TestInProcessNetwork runs the real syncer and server through a network
// that loses, duplicates and cuts exchanges.
func TestInProcessNetwork(t *testing.T) {
	a, b := newNode(t, 1), newNode(t, 2)
	a.write(t, 9000, "a") // several frames
	b.write(t, 300, "b")
	hosts := peersync.NewHosts()
	hosts.HandleServer("a", a.sd)
	net := &faulty{lose: true}
	s := peersync.NewSyncer(b.log, peersync.SyncerConfig{Transport: &peersync.InProcess{Hosts: hosts, Net: net}, Validate: knownKinds})
	ctx := context.Background()
	if err := s.SyncOnce(ctx, "http://a"); err == nil || vv(t, b) == vv(t, a) {
		t.Fatalf("a lost exchange: %v", err)
	}
	// A cut answer keeps its whole frames; the next pull resumes.
	net.lose, net.cut = false, 9000
	if err := s.SyncOnce(ctx, "http://a"); !errors.Is(err, replicate.ErrBadFrame) {
		t.Fatalf("cut answer: %v", err)
	}
	// Duplicated pulls and pushes change nothing twice.
	net.cut, net.dup = 0, true
	for i := 0; i < 3 && vv(t, a) != vv(t, b); i++ {
		if err := s.SyncOnce(ctx, "http://a"); err != nil {
			t.Fatal(err)
		}
	}
	if vv(t, a) != vv(t, b) || a.hash(t) != b.hash(t) {
		t.Fatalf("not converged: %s / %s", vv(t, a), vv(t, b))
	}
	if got := a.sd.AcceptedOps.Load(); got != 300 {
		t.Fatalf("a accepted %d ops of b's 300 (a duplicate applied twice?)", got)
	}
	if _, err := (&peersync.InProcess{Hosts: hosts}).Do(mustRequest(t, "http://nowhere/sync/v1/pull")); err == nil {
		t.Fatal("a request to an unknown host was answered")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // poll
	}
}

func mustRequest(tb testing.TB, url string) *http.Request {
	tb.Helper()
	r, err := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
