package node_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node"
	"stacks/node/nodetest"
	"stacks/replicate/replicatetest"
	"stacks/replicate/snapshot"
)

// BenchmarkBootstrap: a branch with N titles (one copy each) serves a
// snapshot; a new replica bootstraps from it over loopback HTTP (download,
// SHA-256, install, open as a node). Beside it, the limit: a bare copy of
// the same bytes from file to file, with fsync. Metrics: the snapshot's
// bytes, the peer's time to make it (VACUUM INTO and its SHA-256), the new
// replica's time from start to open (download, verify, install, open), the
// copy's time, and their ratio; and the transfer alone (download, verify,
// install, no node opened: fetch-install-s). Run once, e.g.
//
//	go test -tags sqlite_fts5 ./node -run '^$' -bench Bootstrap -benchtime 1x
//
// STACKS_BOOTSTRAP_TITLES (comma-separated) overrides the sizes.
func BenchmarkBootstrap(b *testing.B) {
	sizes := []int{10_000, 50_000, 100_000}
	if s := os.Getenv("STACKS_BOOTSTRAP_TITLES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			var n int
			fmt.Sscan(f, &n)
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("titles=%d", n), func(b *testing.B) { benchBootstrap(b, n) })
	}
}

func benchBootstrap(b *testing.B, titles int) {
	ctx := context.Background()
	dir := b.TempDir()
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.Demo, cfg.Branch = filepath.Join(dir, "peer"), "127.0.0.1:0", 4, false, "MAIN"
	a := nodetest.Start(b, cfg)
	svc := a.Service()
	actx := domain.WithActor(ctx, domain.Actor{ID: "bench", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	if err := svc.SetLibrary(actx, domain.Library{BranchID: "MAIN", Name: "Main"}); err != nil {
		b.Fatal(err)
	}
	if err := svc.SetItemType(actx, domain.ItemType{ItemType: "BOOK"}); err != nil {
		b.Fatal(err)
	}
	built := time.Now()
	for i := 0; i < titles; i += 1000 {
		var nbs []domain.NewBiblio
		for j := i; j < min(i+1000, titles); j++ {
			nbs = append(nbs, domain.NewBiblio{Title: fmt.Sprintf("The Collected Letters of Author %d, Volume %d", j/7, j%7+1),
				Authors: []string{fmt.Sprintf("Author %d", j/7)}, Subjects: []string{"Letters", fmt.Sprintf("Topic %d", j%97)},
				Publisher: "Stacks Press", Year: 1900 + j%120, Language: "eng"})
		}
		ids, err := svc.AddBiblios(actx, nbs)
		if err != nil {
			b.Fatal(err)
		}
		var nis []domain.NewItem
		for k, id := range ids {
			nis = append(nis, domain.NewItem{Barcode: fmt.Sprintf("B%09d", i+k), BiblioID: id, ItemType: "BOOK"})
		}
		if _, err := svc.AddItems(actx, nis); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built %d titles in %s", titles, time.Since(built).Round(time.Millisecond))
	// Wait for the peer's search loop to index the load (as it does
	// within seconds of a bulk load), so the snapshot holds the index whole.
	peerDB, err := sql.Open("sqlite3", "file:"+filepath.Join(cfg.DataDir, "stacks.db")+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer peerDB.Close()
	for deadline := time.Now().Add(5 * time.Minute); ; {
		var dirty int
		if err := peerDB.QueryRow(`SELECT count(*) FROM search_dirty`).Scan(&dirty); err != nil {
			b.Fatal(err)
		}
		if dirty == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the peer's search index is still %d behind", dirty)
		}
		time.Sleep(200 * time.Millisecond) // poll
	}
	b.Logf("built and indexed %d titles in %s", titles, time.Since(built).Round(time.Millisecond))
	want, err := svc.StateHash(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		info, err := a.Snapshots().Snapshot(ctx)
		if err != nil {
			b.Fatal(err)
		}
		made := time.Since(t0)

		bcfg := node.DefaultConfig()
		bcfg.DataDir, bcfg.HTTPAddr, bcfg.PINCost, bcfg.Demo, bcfg.Branch = filepath.Join(dir, fmt.Sprint("new", i)), "127.0.0.1:0", 4, false, "MAIN"
		bcfg.ClusterKeyFile = filepath.Join(cfg.DataDir, "cluster.key")
		bcfg.Bootstrap = node.BootstrapConfig{From: "http://" + a.Addr()}
		var logs bytes.Buffer
		bcfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		t1 := time.Now()
		nb, err := node.New(bcfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := nb.Open(ctx); err != nil {
			b.Fatal(err)
		}
		ready := time.Since(t1)
		b.StopTimer()
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "took") || strings.Contains(l, "bootstrapped") {
				b.Log(l)
			}
		}
		if got, _ := nb.Service().StateHash(ctx); got != want {
			b.Fatalf("state %s, peer's %s", got, want)
		}
		nodetestClose(b, nb)
		copied := bareCopy(b, "http://"+a.Addr(), info, filepath.Join(dir, "copy.db"))
		// The transfer alone: download, verify, install, without opening
		// a node.
		fdir := filepath.Join(dir, fmt.Sprint("fetch", i))
		os.MkdirAll(fdir, 0o750)
		t2 := time.Now()
		if _, err := snapshot.Fetch(ctx, snapshot.FetchConfig{Peer: "http://" + a.Addr(), Dir: fdir}); err != nil {
			b.Fatal(err)
		}
		if _, err := snapshot.Install(ctx, fdir, filepath.Join(fdir, "stacks.db"), snapshot.Scrub{}, nil); err != nil {
			b.Fatal(err)
		}
		transfer := time.Since(t2)
		if db, err := sql.Open("sqlite3", "file:"+filepath.Join(fdir, "stacks.db")+"?mode=ro"); err == nil {
			var dirty, docs int
			db.QueryRow(`SELECT (SELECT count(*) FROM search_dirty), (SELECT count(*) FROM search_docs)`).Scan(&dirty, &docs)
			b.Logf("snapshot: %d search docs, %d titles waiting to be indexed", docs, dirty)
			db.Close()
		}
		os.RemoveAll(fdir)
		b.StartTimer()
		b.ReportMetric(float64(info.Size), "bytes")
		b.ReportMetric(made.Seconds(), "make-s")
		b.ReportMetric(ready.Seconds(), "bootstrap-s")
		b.ReportMetric(copied.Seconds(), "copy-s")
		b.ReportMetric(transfer.Seconds(), "fetch-install-s")
		b.ReportMetric(transfer.Seconds()/copied.Seconds(), "fetch-x-copy")
		b.ReportMetric(ready.Seconds()/copied.Seconds(), "x-copy")
		b.ReportMetric(float64(info.Size)/ready.Seconds()/1e6, "MB/s")
	}
}

// nodetestClose runs and stops an opened node, so it closes what it opened.
func nodetestClose(b *testing.B, n *node.Node) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n.Run(ctx)
}

// bareCopy times a file-to-file copy of the snapshot's bytes with fsync:
// what no bootstrap of that many bytes can beat on this disk. The source
// is fetched first (and read once, so it is in the page cache as the
// peer's file was).
func bareCopy(b *testing.B, url string, info snapshot.Info, to string) time.Duration {
	src := to + ".src"
	resp, err := http.Get(url + snapshot.Path + "/" + info.ID)
	if err != nil {
		b.Fatal(err)
	}
	f, _ := os.Create(src)
	io.Copy(f, resp.Body)
	resp.Body.Close()
	f.Close()
	defer os.Remove(src)
	defer os.Remove(to)
	d, err := replicatetest.SyncedCopy(src, to)
	if err != nil {
		b.Fatal(err)
	}
	return d
}
