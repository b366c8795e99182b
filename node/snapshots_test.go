package node_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/node"
	"stacks/node/nodetest"
	"stacks/replicate/snapshot"
)

// TestBootstrapFromSnapshot: a demo branch registers and erases a patron,
// then serves a snapshot whose bytes hold neither the patron's name nor
// card. A new replica bootstraps from it with its own node ID, catches up
// on the ops written after the snapshot, and reaches the peer's state hash;
// its own writes reach the peer. A data dir that already holds a node is
// refused (untouched) unless forced, and then kept aside.
func TestBootstrapFromSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost = filepath.Join(dir, "main"), "127.0.0.1:0", 4
	a := nodetest.Start(t, cfg)
	aURL := "http://" + a.Addr()

	const card, name = "29470001112223", "Philomena-Quarrington"
	code, body, err := postJSON(aURL+"/api/v1/patrons", map[string]any{"cardnumber": card, "firstname": name, "surname": "Test",
		"category_id": "ADULT", "pin": "1234"})
	if err != nil || code != 201 {
		t.Fatalf("register: %d %v %v", code, body, err)
	}
	id, _ := body["patron_id"].(string)
	before, err := a.Snapshots().Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if raw := fetchSnapshot(t, aURL, before); !bytes.Contains(raw, []byte(name)) || !bytes.Contains(raw, []byte(card)) {
		t.Fatal("a snapshot before the erasure lacks the patron: the check below proves nothing")
	}
	if code, body, err := postJSON(aURL+"/api/v1/patrons/"+id+"/erasure", map[string]string{"reason": "test"}); err != nil || code != 200 {
		t.Fatalf("erasure: %d %v %v", code, body, err)
	}

	// The snapshot made before the erasure is no longer served.
	if resp, err := http.Get(aURL + snapshot.Path + "/" + before.ID); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the snapshot made before the erasure: %v %v", resp.Status, err)
	}
	info, err := a.Snapshots().Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw := fetchSnapshot(t, aURL, info)
	for _, v := range []string{card, name} {
		if i := bytes.Index(raw, []byte(v)); i >= 0 {
			t.Errorf("the snapshot holds the erased patron's %q at byte %d", v, i)
		}
	}

	// Written after the snapshot: the new replica must sync it.
	if code, body, err := postJSON(aURL+"/api/v1/patrons", map[string]any{"cardnumber": "29470001112224", "firstname": "After",
		"surname": "Snapshot", "category_id": "ADULT", "pin": "1234"}); err != nil || code != 201 {
		t.Fatalf("register: %d %v %v", code, body, err)
	}

	bcfg := node.DefaultConfig()
	bcfg.DataDir, bcfg.HTTPAddr, bcfg.PINCost, bcfg.Demo, bcfg.Branch = filepath.Join(dir, "new"), "127.0.0.1:0", 4, false, a.Identity().Branch
	bcfg.SyncInterval = 100 * time.Millisecond
	bcfg.ClusterKeyFile = filepath.Join(cfg.DataDir, "cluster.key")
	bcfg.Bootstrap = node.BootstrapConfig{From: aURL}
	b := nodetest.Start(t, bcfg)
	if b.Identity().NodeID == a.Identity().NodeID {
		t.Fatal("the new replica took the peer's node ID")
	}
	bURL := "http://" + b.Addr()
	converged(t, []string{aURL, bURL}, 30*time.Second)
	if _, err := os.Stat(filepath.Join(bcfg.DataDir, "bootstrap")); !os.IsNotExist(err) {
		t.Errorf("bootstrap download left behind: %v", err)
	}

	// The new replica writes as itself; the peer gets it.
	if code, body, err := postJSON(bURL+"/api/v1/patrons", map[string]any{"cardnumber": "29470001112225", "firstname": "From",
		"surname": "Replica", "category_id": "ADULT", "pin": "1234"}); err != nil || code != 201 {
		t.Fatalf("register on the new replica: %d %v %v", code, body, err)
	}
	var ps []map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for {
		getJSON(t, aURL+"/api/v1/patrons?cardnumber=29470001112225", &ps)
		if len(ps) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the peer never got the new replica's write")
		}
		time.Sleep(50 * time.Millisecond) // poll
	}
	converged(t, []string{aURL, bURL}, 30*time.Second)

	// A data dir that holds a node is refused, and nothing in it changes.
	taken := filepath.Join(dir, "taken")
	os.MkdirAll(taken, 0o750)
	os.WriteFile(filepath.Join(taken, "stacks.db"), []byte("the old database"), 0o600)
	os.WriteFile(filepath.Join(taken, "node.json"), []byte("the old identity"), 0o600)
	ccfg := bcfg
	ccfg.DataDir, ccfg.HTTPAddr = taken, "127.0.0.1:0"
	c, err := node.New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Open(ctx); err == nil || !strings.Contains(err.Error(), "already holds a node") || !strings.Contains(err.Error(), "--bootstrap-force") {
		t.Fatalf("bootstrap over a node's data dir: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(taken, "stacks.db")); string(b) != "the old database" {
		t.Fatal("the refused bootstrap changed the old database")
	}
	ccfg.Bootstrap.Force = true
	c2 := nodetest.Start(t, ccfg)
	converged(t, []string{aURL, "http://" + c2.Addr()}, 30*time.Second)
	aside, _ := filepath.Glob(filepath.Join(taken, "replaced-*", "stacks.db"))
	if len(aside) != 1 {
		t.Fatalf("the old database was not kept aside: %v", aside)
	}
	if b, _ := os.ReadFile(aside[0]); string(b) != "the old database" {
		t.Fatal("the old database kept aside is not the old one")
	}
}

func fetchSnapshot(t *testing.T, url string, info snapshot.Info) []byte {
	t.Helper()
	resp, err := http.Get(url + snapshot.Path + "/" + info.ID)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if int64(len(raw)) != info.Size {
		t.Fatalf("snapshot: %s, %d bytes of %d", resp.Status, len(raw), info.Size)
	}
	return raw
}

// TestBootstrapOverMutualTLS: the snapshot routes live on the mutual-TLS
// sync listener, behind sync's authorisation: a new replica with a
// certificate from the cluster CA bootstraps; a client without one is
// refused, and the staff API's listener does not serve them.
func TestBootstrapOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "Stacks cluster CA")
	os.MkdirAll(filepath.Join(dir, "new-cert"), 0o750)
	mainTLS, newTLS := ca.issue(t, dir, "MAIN"), ca.issue(t, filepath.Join(dir, "new-cert"), "MAIN")
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost = filepath.Join(dir, "main"), "127.0.0.1:0", 4
	cfg.SyncTLS, cfg.SyncAddr = mainTLS, "127.0.0.1:0"
	a := startNode(t, cfg)
	syncURL := "https://" + a.SyncAddr()

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.pem)
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if resp, err := plain.Post(syncURL+snapshot.Path, "", nil); err == nil {
		resp.Body.Close()
		t.Fatalf("a client without a certificate got %s", resp.Status)
	}
	if resp, err := http.Post("http://"+a.Addr()+snapshot.Path, "", nil); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode == http.StatusOK {
		t.Fatal("the staff API's listener serves snapshots")
	}

	bcfg := node.DefaultConfig()
	bcfg.DataDir, bcfg.HTTPAddr, bcfg.PINCost, bcfg.Demo, bcfg.Branch = filepath.Join(dir, "new"), "127.0.0.1:0", 4, false, "MAIN"
	bcfg.SyncTLS, bcfg.SyncAddr, bcfg.SyncInterval = newTLS, "127.0.0.1:0", 100*time.Millisecond
	bcfg.ClusterKeyFile = filepath.Join(cfg.DataDir, "cluster.key")
	bcfg.Bootstrap = node.BootstrapConfig{From: syncURL}
	b := startNode(t, bcfg)
	converged(t, []string{"http://" + a.Addr(), "http://" + b.Addr()}, 30*time.Second)
}
