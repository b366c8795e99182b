package peersync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"stacks/replicate"
	"stacks/replicate/peersync"
)

// headerLog records the frame version headers of every request and answer.
type headerLog struct {
	reqs, resps []http.Header
}

func (h *headerLog) Do(r *http.Request) (*http.Response, error) {
	h.reqs = append(h.reqs, r.Header.Clone())
	resp, err := http.DefaultClient.Do(r)
	if err == nil {
		h.resps = append(h.resps, resp.Header.Clone())
	}
	return resp, err
}

// TestMixedVersionSync: during a node-by-node upgrade, a node from before
// frame version negotiation (simulated: Legacy, SetLegacyProtocol) and a
// new one sync both ways, whichever of them starts the sync; the old one
// sends and gets no frame version headers, exactly as before.
func TestMixedVersionSync(t *testing.T) {
	for _, c := range []struct {
		name                    string
		oldServer, oldSyncer    bool
		wantReqHdr, wantRespHdr bool
	}{
		{"new syncs with new", false, false, true, true},
		{"old syncs with new", false, true, false, true},
		{"new syncs with old", true, false, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := newNode(t, 1), newNode(t, 2)
			a.sd.SetLegacyProtocol(c.oldServer)
			a.write(t, 2500, "a")
			b.write(t, 700, "b")
			hl := &headerLog{}
			s := peersync.NewSyncer(b.log, peersync.SyncerConfig{Transport: hl, Validate: knownKinds, Legacy: c.oldSyncer})
			if err := s.SyncOnce(context.Background(), a.srv.URL); err != nil {
				t.Fatal(err)
			}
			if vv(t, a) != vv(t, b) || a.hash(t) != b.hash(t) {
				t.Fatalf("not converged: %s / %s", vv(t, a), vv(t, b))
			}
			if len(hl.reqs) != 2 {
				t.Fatalf("%d requests, want a pull and a push", len(hl.reqs))
			}
			pull, push := hl.reqs[0], hl.reqs[1]
			if got := pull.Get("X-Stacks-Frames") != ""; got != c.wantReqHdr {
				t.Errorf("pull lists frame versions: %v, want %v", got, c.wantReqHdr)
			}
			if got := push.Get("X-Stacks-Frame-Version") != ""; got != c.wantReqHdr {
				t.Errorf("push names its version: %v, want %v", got, c.wantReqHdr)
			}
			if got := hl.resps[0].Get("X-Stacks-Frames") != ""; got != c.wantRespHdr {
				t.Errorf("server lists frame versions: %v, want %v", got, c.wantRespHdr)
			}
			if c.wantRespHdr && hl.resps[0].Get("X-Stacks-Frame-Version") != "1" {
				t.Errorf("pull answered in version %q, want 1", hl.resps[0].Get("X-Stacks-Frame-Version"))
			}
		})
	}
}

// TestNoCommonFrameVersion: a caller reading only a frame version this
// node does not write is refused clearly (406, a problem naming both
// sides' versions), and frames pushed in an unknown version are refused
// (415) with nothing stored.
func TestNoCommonFrameVersion(t *testing.T) {
	a := newNode(t, 1)
	a.write(t, 10, "a")
	body, _ := json.Marshal(map[string]any{"node": "0000000000000002", "vector": map[string]uint64{}})
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+peersync.SyncPullPath, bytes.NewReader(body))
	req.Header.Set("X-Stacks-Frames", "7, 9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var problem struct{ Code, Detail string }
	json.NewDecoder(resp.Body).Decode(&problem)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotAcceptable || problem.Code != peersync.CodeFrameVersion ||
		!strings.Contains(problem.Detail, "7, 9") || resp.Header.Get("X-Stacks-Frames") != "1" {
		t.Fatalf("pull in version 7 or 9: %s %+v %q", resp.Status, problem, resp.Header.Get("X-Stacks-Frames"))
	}
	frames := replicate.EncodeFrame(nil, []replicate.Op{{Origin: 5, Counter: 1, HLC: 1, Kind: "kv.set", Payload: []byte(`{"K":"x","V":"y"}`)}})
	req, _ = http.NewRequest(http.MethodPost, a.srv.URL+peersync.SyncPushPath, bytes.NewReader(frames))
	req.Header.Set("X-Stacks-Frame-Version", "2")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("push in version 2: %s", resp.Status)
	}
	if v, _ := a.log.VersionVector(context.Background()); v[5] != 0 {
		t.Fatalf("stored a refused push: %v", v)
	}
}

func TestNegotiateFrameVersion(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		err  bool
	}{{"", 1, false}, {"1", 1, false}, {"3, 2, 1", 1, false}, {" 1 ,5", 1, false}, {"2", 0, true}, {"x", 0, true}, {"0", 0, true}} {
		got, err := replicate.NegotiateFrameVersion(c.in)
		if got != c.want || (err != nil) != c.err || (err != nil && !errors.Is(err, replicate.ErrFrameVersion)) {
			t.Errorf("%q: %d %v, want %d (error %v)", c.in, got, err, c.want, c.err)
		}
	}
}
