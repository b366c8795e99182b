package node_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/node"
	"stacks/node/nodetest"
	"stacks/replicate/peersync"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, name string) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue writes a node certificate for branch name signed by the CA and
// returns its files.
func (ca *testCA) issue(t *testing.T, dir, name string) peersync.TLSFiles {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		URIs:      []*url.URL{{Scheme: "stacks", Host: "branch", Path: "/" + name}}, // what peersync.AuthorizeTLS admits
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	f := peersync.TLSFiles{CertFile: filepath.Join(dir, name+".crt"), KeyFile: filepath.Join(dir, name+".key"), CAFile: filepath.Join(dir, "ca.crt")}
	os.WriteFile(f.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(f.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	os.WriteFile(f.CAFile, ca.pem, 0o600)
	return f
}

func startNode(t *testing.T, cfg node.Config) *node.Node { return nodetest.Start(t, cfg) }

// TestSyncOverMutualTLS: two branches sync over HTTPS with certificates from
// the cluster's CA; a certificate from another CA and a plain client are
// refused.
func TestSyncOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "Stacks cluster CA")
	mainTLS, eastTLS := ca.issue(t, dir, "MAIN"), ca.issue(t, dir, "EAST")

	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost = filepath.Join(dir, "main"), "127.0.0.1:0", 4
	cfg.SyncTLS, cfg.SyncAddr = mainTLS, "127.0.0.1:0"
	a := startNode(t, cfg)

	cfg = node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.Demo, cfg.Branch = filepath.Join(dir, "east"), "127.0.0.1:0", 4, false, "EAST"
	cfg.SyncTLS, cfg.SyncAddr = eastTLS, "127.0.0.1:0"
	cfg.Peers, cfg.SyncInterval = []string{"https://" + a.SyncAddr()}, 100*time.Millisecond
	b := startNode(t, cfg)

	converged(t, []string{"http://" + a.Addr(), "http://" + b.Addr()}, 60*time.Second)

	// The sync API is not on the plain HTTP listener any more.
	resp, err := http.Post("http://"+a.Addr()+"/sync/v1/pull", "application/json", strings.NewReader(`{"vector":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("sync served on the plain API listener")
	}
	// A certificate from another CA is refused in the handshake.
	rogue := newCA(t, "Someone else").issue(t, t.TempDir(), "ROGUE")
	cert, _ := tls.LoadX509KeyPair(rogue.CertFile, rogue.KeyFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.pem)
	for name, client := range map[string]*http.Client{
		"other CA":       {Transport: &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool}}},
		"no certificate": {Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
	} {
		resp, err := client.Post("https://"+a.SyncAddr()+"/sync/v1/pull", "application/json", strings.NewReader(`{"vector":{}}`))
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: admitted with %d", name, resp.StatusCode)
		}
	}
	// Plain HTTP to the TLS port gets nothing useful either.
	resp, err = http.Post("http://"+a.SyncAddr()+"/sync/v1/pull", "application/json", strings.NewReader(`{"vector":{}}`))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP admitted")
		}
	}
}
