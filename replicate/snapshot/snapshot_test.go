package snapshot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stacks/replicate"
	"stacks/replicate/peersync"
	"stacks/replicate/replicatetest"
	"stacks/replicate/snapshot"
)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC) }

var migrations = []replicate.Migration{{Component: "kv", Version: 1, SQL: replicatetest.KVTable + `;
CREATE TABLE local_dealings (id INTEGER PRIMARY KEY, secret TEXT);
CREATE TABLE role_only (id INTEGER PRIMARY KEY);`}}

var scrub = snapshot.Scrub{ClearTables: []string{"local_dealings"}, DropTables: []string{"role_only"}, KeepMeta: []string{"demo"}}

type peer struct {
	db    *replicate.DB
	log   *replicate.Log
	snaps *snapshot.Server
	srv   *httptest.Server
	gen   atomic.Int64
}

func openLog(t *testing.T, path string, id replicate.NodeID) (*replicate.DB, *replicate.Log) {
	t.Helper()
	ctx := context.Background()
	db, err := replicate.OpenDBOptions(ctx, path, migrations, replicate.DBOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	lg := replicate.NewLog(db, replicate.Config{Node: id, Clock: fixedClock{}, MaxBatch: 64}, replicatetest.KV{})
	if err := lg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close(); db.Close() })
	return db, lg
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	p := &peer{}
	p.db, p.log = openLog(t, filepath.Join(t.TempDir(), "peer.db"), 0xa1)
	p.snaps = snapshot.NewServer(snapshot.ServerConfig{DB: p.db, Dir: filepath.Join(t.TempDir(), "snaps"), Node: 0xa1, Scrub: scrub,
		Generation: func(context.Context) (string, error) { return fmt.Sprint(p.gen.Load()), nil }})
	mux := http.NewServeMux()
	p.snaps.Register(mux)
	peersync.NewServer(p.log, nil, nil).Register(mux)
	p.srv = httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.snaps.Run(ctx) }()
	t.Cleanup(func() { p.srv.Close(); cancel(); <-done })
	return p
}

func (p *peer) write(t *testing.T, n int, prefix string) {
	t.Helper()
	ctx := context.Background()
	err := p.log.Update(ctx, func(tx *replicate.Tx) error {
		for i := range n {
			if _, err := tx.Emit(ctx, "kv.set", map[string]string{"K": fmt.Sprintf("%s%d", prefix, i), "V": strings.Repeat("v", 200)}, "test", "api"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (p *peer) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	ctx := context.Background()
	if err := p.log.Update(ctx, func(tx *replicate.Tx) error { _, err := tx.ExecContext(ctx, q, args...); return err }); err != nil {
		t.Fatal(err)
	}
}

func hash(t *testing.T, db *replicate.DB) string {
	t.Helper()
	h, err := replicate.StateHash(context.Background(), db.Read(), []string{"kv"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func count(t *testing.T, db *replicate.DB, q string) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// doer wraps http.DefaultClient; each hook may change a response.
type doer struct {
	mu     sync.Mutex
	ranges []string
	hook   func(*http.Response) *http.Response
}

func (d *doer) Do(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(r)
	if err != nil || r.Method != http.MethodGet {
		return resp, err
	}
	d.mu.Lock()
	d.ranges = append(d.ranges, r.Header.Get("Range"))
	hook := d.hook
	d.mu.Unlock()
	if hook != nil {
		resp = hook(resp)
	}
	return resp, nil
}

// cutAfter ends a body with an error after n bytes, as a dropped
// connection does.
type cutAfter struct {
	r io.ReadCloser
	n int
}

func (c *cutAfter) Read(b []byte) (int, error) {
	if c.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if len(b) > c.n {
		b = b[:c.n]
	}
	k, err := c.r.Read(b)
	c.n -= k
	return k, err
}

func (c *cutAfter) Close() error { return c.r.Close() }

// flipByte flips one byte of a body at offset at.
type flipByte struct {
	r   io.ReadCloser
	pos int
	at  int
}

func (f *flipByte) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if f.at >= f.pos && f.at < f.pos+n {
		b[f.at-f.pos] ^= 0xff
	}
	f.pos += n
	return n, err
}

func (f *flipByte) Close() error { return f.r.Close() }

func TestSnapshotInstall(t *testing.T) {
	ctx := context.Background()
	p := newPeer(t)
	p.write(t, 500, "k")
	p.exec(t, `INSERT INTO local_dealings (secret) VALUES ('the peer''s own')`)
	p.exec(t, `INSERT INTO role_only (id) VALUES (1)`)
	p.exec(t, `INSERT INTO node_meta (key, value) VALUES ('demo', 'done'), ('peer_only', 'x')`)

	dir := t.TempDir()
	info, err := snapshot.Fetch(ctx, snapshot.FetchConfig{Peer: p.srv.URL, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if info.Node != replicate.NodeID(0xa1).String() || info.Vector[info.Node] != 500 || info.Format != snapshot.Format {
		t.Fatalf("info = %+v", info)
	}
	part := filepath.Join(dir, snapshot.PartFile)
	if newer, err := snapshot.UnknownMigrations(ctx, part, append(replicate.CoreMigrations(), migrations...), scrub); err != nil || len(newer) != 0 {
		t.Errorf("unknown migrations %v %v", newer, err)
	}
	if newer, err := snapshot.UnknownMigrations(ctx, part, replicate.CoreMigrations(), scrub); err != nil || strings.Join(newer, ",") != "kv/1" {
		t.Errorf("an older installer (no kv) is told %v %v", newer, err)
	}
	dbPath := filepath.Join(t.TempDir(), "new.db")
	vv, err := snapshot.Install(ctx, dir, dbPath, scrub, map[string]string{"bootstrap_from": p.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if vv[0xa1] != 500 {
		t.Fatalf("vector %v", vv)
	}
	if _, err := os.Stat(filepath.Join(dir, snapshot.StateFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("download state left behind: %v", err)
	}
	if _, err := snapshot.Install(ctx, dir, dbPath, scrub, nil); err == nil {
		t.Error("a second install over an existing database succeeded")
	}

	db, lg := openLog(t, dbPath, 0xb2) // its own identity
	if got, want := hash(t, db), hash(t, p.db); got != want {
		t.Errorf("state hash %s, peer's %s", got, want)
	}
	if n := count(t, db, `SELECT count(*) FROM ops`); n != 500 {
		t.Errorf("%d ops, want 500", n)
	}
	if n := count(t, db, `SELECT count(*) FROM local_dealings`); n != 0 {
		t.Errorf("the peer's own rows came along: %d", n)
	}
	if n := count(t, db, `SELECT count(*) FROM sqlite_master WHERE name='role_only'`); n != 0 {
		t.Error("a dropped table came along")
	}
	var keys []string
	rows, _ := db.Read().Query(`SELECT key FROM node_meta ORDER BY key`)
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	rows.Close()
	if strings.Join(keys, ",") != "bootstrap_from,demo" {
		t.Errorf("node_meta keys %v", keys)
	}

	// The new replica writes as itself, and catches up on the peer's ops
	// written after the snapshot by an ordinary sync.
	if err := lg.Update(ctx, func(tx *replicate.Tx) error {
		op, err := tx.Emit(ctx, "kv.set", map[string]string{"K": "mine", "V": "1"}, "t", "api")
		if err == nil && (op.Origin != 0xb2 || op.Counter != 1) {
			err = fmt.Errorf("emitted %s", op.ID())
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	p.write(t, 50, "after")
	sy := peersync.NewSyncer(lg, peersync.SyncerConfig{Peers: []string{p.srv.URL}})
	if err := sy.SyncOnce(ctx, p.srv.URL); err != nil {
		t.Fatal(err)
	}
	if got, want := hash(t, db), hash(t, p.db); got != want {
		t.Errorf("after catch-up: state hash %s, peer's %s", got, want)
	}
	st := sy.Status()[0]
	if st.OpsPulled != 50 {
		t.Errorf("pulled %d ops after the snapshot, want 50", st.OpsPulled)
	}
}

func TestFetchResumesCutDownload(t *testing.T) {
	ctx := context.Background()
	p := newPeer(t)
	p.write(t, 2000, "k")
	dir := t.TempDir()
	cut := &doer{hook: func(r *http.Response) *http.Response { r.Body = &cutAfter{r: r.Body, n: 100 << 10}; return r }}
	_, err := snapshot.Fetch(ctx, snapshot.FetchConfig{Peer: p.srv.URL, Dir: dir, Doer: cut, Attempts: 1})
	if err == nil {
		t.Fatal("a cut download succeeded")
	}
	st, err := os.Stat(filepath.Join(dir, snapshot.PartFile))
	if err != nil || st.Size() != 100<<10 {
		t.Fatalf("partial download: %v %v", st, err)
	}
	// Next run: it asks only for the rest.
	d := &doer{}
	info, err := snapshot.Fetch(ctx, snapshot.FetchConfig{Peer: p.srv.URL, Dir: dir, Doer: d})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.ranges) != 1 || d.ranges[0] != fmt.Sprintf("bytes=%d-", 100<<10) {
		t.Errorf("ranges asked %q", d.ranges)
	}
	if info.Size <= 100<<10 {
		t.Fatalf("snapshot of %d bytes: too small to test a cut", info.Size)
	}
	// Within one run, a cut is resumed at once.
	dir2 := t.TempDir()
	var cuts atomic.Int64
	flaky := &doer{hook: func(r *http.Response) *http.Response {
		if cuts.Add(1) <= 3 {
			r.Body = &cutAfter{r: r.Body, n: 64 << 10}
		}
		return r
	}}
	info2, err := snapshot.Fetch(ctx, snapshot.FetchConfig{Peer: p.srv.URL, Dir: dir2, Doer: flaky})
	if err != nil {
		t.Fatal(err)
	}
	if info2.SHA256 != info.SHA256 || len(flaky.ranges) != 4 || flaky.ranges[3] != fmt.Sprintf("bytes=%d-", 3*64<<10) {
		t.Errorf("reused %v, ranges %q", info2.SHA256 == info.SHA256, flaky.ranges)
	}
	if _, err := snapshot.Install(ctx, dir2, filepath.Join(t.TempDir(), "n.db"), scrub, nil); err != nil {
		t.Fatal(err)
	}
}

func TestFetchRefusesCorruptDownload(t *testing.T) {
	ctx := context.Background()
	p := newPeer(t)
	p.write(t, 300, "k")
	dir := t.TempDir()
	bad := &doer{hook: func(r *http.Response) *http.Response { r.Body = &flipByte{r: r.Body, at: 5000}; return r }}
	_, err := snapshot.Fetch(ctx, snapshot.FetchConfig{Peer: p.srv.URL, Dir: dir, Doer: bad})
	if !errors.Is(err, snapshot.ErrChecksum) {
		t.Fatalf("err = %v, want ErrChecksum", err)
	}
	for _, f := range []string{snapshot.PartFile, snapshot.StateFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s kept after a checksum failure", f)
		}
	}
	dbPath := filepath.Join(t.TempDir(), "n.db")
	if _, err := snapshot.Install(ctx, dir, dbPath, scrub, nil); err == nil {
		t.Error("installed without a verified download")
	}
	if _, err := os.Stat(dbPath); !errors.Is(err, os.ErrNotExist) {
		t.Error("a database appeared")
	}
}

func TestSnapshotGoneAfterGenerationChange(t *testing.T) {
	ctx := context.Background()
	p := newPeer(t)
	p.write(t, 100, "k")
	first, err := p.snaps.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := p.snaps.Snapshot(ctx); again.ID != first.ID {
		t.Errorf("a second request within Reuse made another snapshot")
	}
	p.write(t, 1, "erasure")
	p.gen.Add(1) // an erasure
	resp, err := http.Get(p.srv.URL + snapshot.Path + "/" + first.ID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("old snapshot served after an erasure: %s", resp.Status)
	}
	second, err := p.snaps.Snapshot(ctx)
	if err != nil || second.ID == first.ID {
		t.Fatalf("new snapshot %v %v", second.ID, err)
	}
}

func TestSnapshotHoldsNoDeletedData(t *testing.T) {
	ctx := context.Background()
	p := newPeer(t)
	p.write(t, 200, "k")
	secret := "ZEBULON-QUIXOTIC-4417"
	p.exec(t, `INSERT INTO local_dealings (secret) VALUES (?)`, secret)
	p.exec(t, `INSERT INTO kv (k, v, stamp) VALUES ('gone', ?, '')`, secret)
	p.exec(t, `DELETE FROM kv WHERE k='gone'`)
	info, err := p.snaps.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(p.srv.URL + snapshot.Path + "/" + info.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if int64(len(b)) != info.Size || resp.Header.Get(snapshot.HeaderSHA) != info.SHA256 || resp.Header.Get("ETag") != `"`+info.SHA256+`"` {
		t.Fatalf("got %d bytes, headers %v", len(b), resp.Header)
	}
	if bytes.Contains(b, []byte(secret)) {
		t.Error("the snapshot holds deleted data")
	}
	if !bytes.HasPrefix(b, []byte("SQLite format 3\x00")) || b[18] != 1 || b[19] != 1 {
		t.Errorf("not a self-contained SQLite file (no WAL): header %q %d %d", b[:16], b[18], b[19])
	}
}
