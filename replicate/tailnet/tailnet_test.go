package tailnet_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"stacks/replicate/tailnet"
	"stacks/replicate/tailnet/tailnettest"
)

func startNode(t *testing.T, ctl *tailnettest.Control, host string, tags ...string) *tailnet.Server {
	t.Helper()
	s, err := tailnet.New(ctl.Config(t, host, tags...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Up(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// retry calls f until it succeeds or the deadline passes: right after a
// node joins, its peers may not have its key yet.
func retry[T any](t *testing.T, within time.Duration, f func() (T, error)) T {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		v, err := f()
		if err == nil {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("no success within %s: %v", within, err)
		}
		time.Sleep(50 * time.Millisecond) // poll
	}
}

// TestTailnetAuthorization: three tsnet nodes on an offline tailnet. A
// branch-tagged node is admitted to the HTTP API and learns nothing it
// should not; an untagged node gets 403 with a problem; the stream
// listener of central admits central nodes only.
func TestTailnetAuthorization(t *testing.T) {
	if testing.Short() {
		t.Skip("tsnet nodes and a control server: not in -short")
	}
	start := time.Now()
	ctl := tailnettest.Start(t)
	central := startNode(t, ctl, "stacks-central", tailnet.TagCentral)
	branch := startNode(t, ctl, "stacks-east", tailnet.TagBranch)
	laptop := startNode(t, ctl, "alices-laptop")
	t.Logf("three nodes up in %s", time.Since(start).Round(time.Millisecond))

	auth, err := central.Authorizer(nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := central.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: auth.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := tailnet.PeerFromContext(r.Context())
		io.WriteString(w, p.Hostname+" "+strings.Join(p.Tags, ","))
	}))}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	get := func(s *tailnet.Server) (int, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://stacks-central/", nil)
		resp, err := s.HTTPClient().Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	body := retry(t, 20*time.Second, func() (string, error) {
		code, body, err := get(branch)
		if err == nil && code != 200 {
			err = errors.New(body)
		}
		return body, err
	})
	if body != "stacks-east "+tailnet.TagBranch {
		t.Errorf("the branch was seen as %q", body)
	}
	code, body := 0, ""
	retry(t, 20*time.Second, func() (bool, error) {
		var err error
		code, body, err = get(laptop)
		return true, err
	})
	var p struct{ Code, Detail string }
	if code != http.StatusForbidden || json.Unmarshal([]byte(body), &p) != nil || p.Code != "peer_not_authorized" ||
		!strings.Contains(p.Detail, "alices-laptop") {
		t.Errorf("an untagged node got %d %s", code, body)
	}

	// The stream listener (the central Raft transport) admits only
	// central nodes: a branch's connection is closed unanswered.
	raftAuth, _ := central.Authorizer([]string{tailnet.TagCentral})
	rln, err := central.Listen(7400)
	if err != nil {
		t.Fatal(err)
	}
	rln = raftAuth.Listener(rln)
	t.Cleanup(func() { rln.Close() })
	go func() {
		for {
			c, err := rln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	central2 := startNode(t, ctl, "stacks-central-2", tailnet.TagCentral)
	echo := func(s *tailnet.Server) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := s.Dial(ctx, "tcp", "stacks-central:7400")
		if err != nil {
			return "", err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "ping\n"); err != nil {
			return "", err
		}
		return bufio.NewReader(c).ReadString('\n')
	}
	if got := retry(t, 20*time.Second, func() (string, error) { return echo(central2) }); got != "ping\n" {
		t.Errorf("central echo = %q", got)
	}
	if got, err := echo(branch); err == nil || got != "" {
		t.Errorf("a branch got through to the central stream port: %q, %v", got, err)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("the branch's connection was left open, not closed: %v", err)
	}
	t.Logf("whole test %s", time.Since(start).Round(time.Millisecond))
}
