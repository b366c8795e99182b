package node_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"stacks/branch/domain"
	"stacks/node"
)

// TestRegistryGateOverMutualTLS: once a node knows the branch registry, a
// branch peer over mutual TLS must be a registered node of the branch its
// certificate names.
func TestRegistryGateOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "Stacks cluster CA")
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost = filepath.Join(dir, "main"), "127.0.0.1:0", 4
	cfg.SyncTLS, cfg.SyncAddr = ca.issue(t, dir, "MAIN"), "127.0.0.1:0"
	a := startNode(t, cfg)
	admin := domain.WithActor(context.Background(), domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
	svc := a.Service()
	for _, rn := range []domain.RegistryNode{{NodeID: a.Identity().NodeHex, BranchID: "MAIN"}, {NodeID: "00000000000000aa", BranchID: "EAST"}} {
		if err := svc.RegisterNode(admin, rn); err != nil {
			t.Fatal(err)
		}
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.pem)
	clientFor := func(name string) *http.Client {
		f := ca.issue(t, t.TempDir(), name)
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool}}}
	}
	east, west := clientFor("EAST"), clientFor("WEST")
	for _, c := range []struct {
		name   string
		client *http.Client
		from   string
		want   int
	}{
		{"registered node of the certificate's branch", east, "00000000000000aa", http.StatusOK},
		{"unregistered node", east, "00000000000000bb", http.StatusForbidden},
		{"another branch's certificate", west, "00000000000000aa", http.StatusForbidden},
		{"no node named", east, "", http.StatusForbidden},
	} {
		req, _ := http.NewRequest(http.MethodPost, "https://"+a.SyncAddr()+"/sync/v1/pull", strings.NewReader(`{"vector":{}}`))
		if c.from != "" {
			req.Header.Set("X-Stacks-From-Node", c.from)
		}
		resp, err := c.client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}

}
