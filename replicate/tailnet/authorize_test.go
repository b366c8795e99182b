package tailnet_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"tailscale.com/client/local"
	"tailscale.com/client/tailscale/apitype"
	"tailscale.com/tailcfg"

	"stacks/replicate/tailnet"
)

// fakeWhoIs answers WhoIs from a table of remote addresses.
type fakeWhoIs map[string]*apitype.WhoIsResponse

func (f fakeWhoIs) WhoIs(_ context.Context, addr string) (*apitype.WhoIsResponse, error) {
	if addr == "broken:1" {
		return nil, errors.New("local API gone")
	}
	res, ok := f[addr]
	if !ok {
		return nil, local.ErrPeerNotFound
	}
	return res, nil
}

func node(host string, tags ...string) *apitype.WhoIsResponse {
	hi := &tailcfg.Hostinfo{Hostname: host}
	return &apitype.WhoIsResponse{
		Node:        &tailcfg.Node{Name: host + ".stacks.ts.net.", Tags: tags, StableID: tailcfg.StableNodeID("n" + host), Hostinfo: hi.View()},
		UserProfile: &tailcfg.UserProfile{LoginName: "alice@example.org"},
	}
}

func TestAuthorizerCheck(t *testing.T) {
	who := fakeWhoIs{
		"100.64.0.1:1000": node("stacks-east", tailnet.TagBranch),
		"100.64.0.2:1000": node("stacks-central-1", tailnet.TagCentral, "tag:servers"),
		"100.64.0.3:1000": node("alices-laptop"),
		"100.64.0.4:1000": node("grafana", "tag:monitoring"),
	}
	a := tailnet.NewAuthorizer(who, nil, nil)
	for _, tc := range []struct {
		name, addr string
		wantErr    error
		wantHost   string
	}{
		{"OKBranch", "100.64.0.1:1000", nil, "stacks-east"},
		{"OKCentral", "100.64.0.2:1000", nil, "stacks-central-1"},
		{"ErrNotTaggedUserNode", "100.64.0.3:1000", tailnet.ErrNotTagged, "alices-laptop"},
		{"ErrNotTaggedOtherTag", "100.64.0.4:1000", tailnet.ErrNotTagged, "grafana"},
		{"ErrUnknownPeer", "100.64.0.9:1000", tailnet.ErrUnknownPeer, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := a.Check(context.Background(), tc.addr)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if p.Hostname != tc.wantHost || p.Addr != tc.addr {
				t.Errorf("peer = %+v", p)
			}
		})
	}
	t.Run("OnlyCentral", func(t *testing.T) {
		c := tailnet.NewAuthorizer(who, []string{tailnet.TagCentral}, nil)
		if _, err := c.Check(context.Background(), "100.64.0.1:1000"); !errors.Is(err, tailnet.ErrNotTagged) {
			t.Errorf("a branch passed a central-only check: %v", err)
		}
		p, err := c.Check(context.Background(), "100.64.0.2:1000")
		if err != nil || !p.HasTag(tailnet.TagCentral) || p.User != "" {
			t.Errorf("central: %+v, %v", p, err)
		}
	})
}

func TestAuthorizerWrap(t *testing.T) {
	who := fakeWhoIs{
		"100.64.0.1:1000": node("stacks-east", tailnet.TagBranch),
		"100.64.0.3:1000": node("alices-laptop"),
	}
	h := tailnet.NewAuthorizer(who, nil, nil).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := tailnet.PeerFromContext(r.Context())
		if !ok {
			t.Error("no peer in the context")
		}
		io.WriteString(w, p.Hostname+" "+strings.Join(p.Tags, ","))
	}))
	for _, tc := range []struct {
		name, addr string
		status     int
		code, body string
	}{
		{"OK", "100.64.0.1:1000", 200, "", "stacks-east tag:stacks-branch"},
		{"ErrNotTagged", "100.64.0.3:1000", 403, "peer_not_authorized", "alices-laptop"},
		{"ErrUnknownPeer", "100.64.0.9:1000", 403, "peer_not_authorized", "not a node of this tailnet"},
		{"ErrWhoIs", "broken:1", 503, "peer_unidentified", "try again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/sync/v1/pull", strings.NewReader("{}"))
			r.RemoteAddr = tc.addr
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.code == "" {
				if w.Body.String() != tc.body {
					t.Errorf("body %q, want %q", w.Body, tc.body)
				}
				return
			}
			var p struct{ Code, Detail string }
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("not a problem: %q (%v)", w.Body, err)
			}
			if p.Code != tc.code || !strings.Contains(p.Detail, tc.body) {
				t.Errorf("problem %+v, want code %q and %q in the detail", p, tc.code, tc.body)
			}
		})
	}
}
