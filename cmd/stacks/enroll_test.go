package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/node"
	"stacks/node/nodetest"
	"stacks/replicate/nodecert"
	"stacks/replicate/peersync"
)

func enroll(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"cluster", "enroll"}, args...), &out, &errOut)
	return out.String() + errOut.String(), err
}

func mustEnroll(t *testing.T, args ...string) {
	t.Helper()
	if out, err := enroll(t, args...); err != nil {
		t.Fatalf("enroll %v: %v\n%s", args, err, out)
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEnroll(t *testing.T) {
	dir := t.TempDir()
	ca, out := filepath.Join(dir, "ca"), filepath.Join(dir, "out")
	t.Run("OK", func(t *testing.T) {
		mustEnroll(t, "--init-ca", ca, "--branch", "MAIN", "--host", "127.0.0.1,main.library.example", "--out", out)
		mustEnroll(t, "--ca", ca, "--central", "central-1", "--host", "central-1.library.example", "--out", out)
		caCert := readCert(t, filepath.Join(ca, "ca.crt"))
		if !caCert.IsCA || caCert.PublicKeyAlgorithm != x509.ECDSA {
			t.Errorf("CA: IsCA %v, key %v", caCert.IsCA, caCert.PublicKeyAlgorithm)
		}
		pool := x509.NewCertPool()
		pool.AddCert(caCert)
		for _, tc := range []struct {
			file string
			want nodecert.Identity
			host string
		}{
			{"branch-MAIN", nodecert.Identity{Role: nodecert.RoleBranch, Name: "MAIN"}, "127.0.0.1"},
			{"central-central-1", nodecert.Identity{Role: nodecert.RoleCentral, Name: "central-1"}, "central-1.library.example"},
		} {
			c := readCert(t, filepath.Join(out, tc.file+".crt"))
			if _, err := c.Verify(x509.VerifyOptions{Roots: pool, DNSName: tc.host,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("%s: %v", tc.file, err)
			}
			if id, err := nodecert.IdentityOf(c); err != nil || id != tc.want {
				t.Errorf("%s names %v (%v), want %v", tc.file, id, err, tc.want)
			}
			if c.Subject.CommonName != tc.want.Name || len(c.Subject.OrganizationalUnit) != 1 || c.Subject.OrganizationalUnit[0] != string(tc.want.Role) {
				t.Errorf("%s subject %s", tc.file, c.Subject)
			}
			if _, err := tls.LoadX509KeyPair(filepath.Join(out, tc.file+".crt"), filepath.Join(out, tc.file+".key")); err != nil {
				t.Errorf("%s: %v", tc.file, err)
			}
		}
		for _, f := range []string{filepath.Join(ca, "ca.key"), filepath.Join(out, "branch-MAIN.key")} {
			if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %v %v, want mode 0600", f, fi.Mode(), err)
			}
		}
		if b, _ := os.ReadFile(filepath.Join(out, "ca.crt")); !bytes.Equal(b, must(os.ReadFile(filepath.Join(ca, "ca.crt")))) {
			t.Error("no copy of the CA certificate beside the node's")
		}
	})
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"ErrNothing", nil, "nothing to do"},
		{"ErrBoth", []string{"--ca", ca, "--branch", "A", "--central", "B"}, "not both"},
		{"ErrBadName", []string{"--ca", ca, "--branch", "EAST/1"}, "bad node name"},
		{"ErrNoCA", []string{"--branch", "EAST"}, "--ca DIR"},
		{"ErrMissingCA", []string{"--ca", filepath.Join(dir, "nope"), "--branch", "EAST"}, "no such file"},
		{"ErrCAExists", []string{"--init-ca", ca}, "exists; not overwriting"},
		{"ErrNodeExists", []string{"--ca", ca, "--branch", "MAIN", "--out", out}, "exists; not overwriting"},
		{"ErrOtherCAInOut", []string{"--init-ca", filepath.Join(dir, "ca2"), "--branch", "EAST", "--out", out}, "another CA's certificate"},
		{"ErrArgs", []string{"--ca", ca, "--branch", "EAST", "extra"}, "no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := enroll(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q\n%s", err, tc.wantErr, out)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func startNode(t *testing.T, cfg node.Config) *node.Node { return nodetest.Start(t, cfg) }

// TestEnrolledBranchesSync: two branches enrolled with 'stacks cluster
// enroll' sync over mutual TLS and converge. Refused: a certificate from
// another CA (in the handshake), no certificate, plain HTTP, and a
// certificate from the right CA that names no Stacks node (403).
func TestEnrolledBranchesSync(t *testing.T) {
	dir := t.TempDir()
	ca, certs := filepath.Join(dir, "ca"), filepath.Join(dir, "certs")
	mustEnroll(t, "--init-ca", ca, "--branch", "MAIN", "--host", "127.0.0.1", "--out", certs)
	mustEnroll(t, "--ca", ca, "--branch", "EAST", "--host", "127.0.0.1", "--out", certs)
	files := func(name string) peersync.TLSFiles {
		return peersync.TLSFiles{CertFile: filepath.Join(certs, "branch-"+name+".crt"), KeyFile: filepath.Join(certs, "branch-"+name+".key"),
			CAFile: filepath.Join(certs, "ca.crt")}
	}

	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.SIP2Addr = filepath.Join(dir, "main"), "127.0.0.1:0", 4, ""
	cfg.SyncTLS, cfg.SyncAddr = files("MAIN"), "127.0.0.1:0"
	a := startNode(t, cfg)
	cfg = node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.Demo, cfg.Branch, cfg.SIP2Addr = filepath.Join(dir, "east"), "127.0.0.1:0", 4, false, "EAST", ""
	cfg.SyncTLS, cfg.SyncAddr = files("EAST"), "127.0.0.1:0"
	cfg.Peers, cfg.SyncInterval = []string{"https://" + a.SyncAddr()}, 100*time.Millisecond
	b := startNode(t, cfg)

	deadline := time.Now().Add(60 * time.Second)
	for {
		ha, erra := a.Service().StateHash(context.Background())
		hb, errb := b.Service().StateHash(context.Background())
		if erra != nil || errb != nil {
			t.Fatal(erra, errb)
		}
		if ha != "" && ha == hb {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no convergence: %q vs %q", ha, hb)
		}
		time.Sleep(50 * time.Millisecond) // poll
	}

	pull := func(c *http.Client, scheme string) (*http.Response, error) {
		return c.Post(scheme+"://"+a.SyncAddr()+"/sync/v1/pull", "application/json", strings.NewReader(`{"vector":{}}`))
	}
	pool := x509.NewCertPool()
	pool.AddCert(readCert(t, filepath.Join(ca, "ca.crt")))
	withCert := func(cert tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool}}}
	}
	// Another CA's node certificate is refused in the handshake.
	mustEnroll(t, "--init-ca", filepath.Join(dir, "rogue-ca"), "--branch", "MAIN", "--host", "127.0.0.1", "--out", filepath.Join(dir, "rogue"))
	rogue := must(tls.LoadX509KeyPair(filepath.Join(dir, "rogue", "branch-MAIN.crt"), filepath.Join(dir, "rogue", "branch-MAIN.key")))
	for name, c := range map[string]*http.Client{
		"other CA":       withCert(rogue),
		"no certificate": {Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
	} {
		if resp, err := pull(c, "https"); err == nil {
			resp.Body.Close()
			t.Errorf("%s: admitted with %d", name, resp.StatusCode)
		}
	}
	// Plain HTTP to the sync port gets nothing.
	if resp, err := pull(http.DefaultClient, "http"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP admitted")
		}
	}
	// The right CA, but a certificate that names no branch or central
	// node (say, one the CA issued for a web server): 403.
	resp, err := pull(withCert(caSigned(t, ca, "MAIN")), "https")
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Code, Detail string }
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || p.Code != "peer_not_authorized" {
		t.Errorf("a certificate naming no node: %d %+v", resp.StatusCode, p)
	}
	// The enrolled branch itself is admitted.
	resp, err = pull(withCert(must(tls.LoadX509KeyPair(files("EAST").CertFile, files("EAST").KeyFile))), "https")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the enrolled branch got %d", resp.StatusCode)
	}
}

// caSigned is a client certificate from the cluster CA with a common name
// but no stacks:// identity.
func caSigned(t *testing.T, caDir, cn string) tls.Certificate {
	t.Helper()
	caCert := readCert(t, filepath.Join(caDir, "ca.crt"))
	blk, _ := pem.Decode(must(os.ReadFile(filepath.Join(caDir, "ca.key"))))
	caKey := must(x509.ParsePKCS8PrivateKey(blk.Bytes))
	key := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey))
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
