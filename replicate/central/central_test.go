package central

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"stacks/replicate"
)

// kvApplier is a last-writer-wins map, enough to see that every replica
// applies the same ops.
type kvApplier struct{}

func (kvApplier) Apply(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p struct{ K, V string }
	if err := json.Unmarshal(op.Payload, &p); err != nil {
		return err
	}
	if op.Kind == kindErase {
		if _, err := tx.ExecContext(ctx, `INSERT INTO kv_erased (k) VALUES (?) ON CONFLICT DO NOTHING`, p.K); err != nil {
			return err
		}
		return eraseKey(ctx, tx, p.K)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO kv (k, v, stamp) VALUES (?,?,?)
		ON CONFLICT(k) DO UPDATE SET v=excluded.v, stamp=excluded.stamp WHERE excluded.stamp > kv.stamp`, p.K, p.V, string(op.Stamp()))
	if err != nil {
		return err
	}
	// The erasure wins over a later write (as branch/privacy's tombstone):
	// the key is erased again, the write's op redacted on arrival.
	var erased bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM kv_erased WHERE k=?)`, p.K).Scan(&erased); err != nil || !erased {
		return err
	}
	return eraseKey(ctx, tx, p.K)
}

var kvMigration = replicate.Migration{Component: "kv", Version: 1, SQL: `CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT, stamp TEXT);
CREATE TABLE kv_erased (k TEXT PRIMARY KEY)`}

// centralOrigin is the shared origin of the test cluster.
const centralOrigin replicate.NodeID = 0xce17

// testHeartbeat is the Raft heartbeat and election timeout of test
// clusters: short, so that elections in tests are quick.
var testHeartbeat = time.Second

type member struct {
	id   string
	dir  string
	db   *replicate.DB
	log  *replicate.Log
	node *Node
	http *httptest.Server
	ln   net.Listener
	addr string
}

func startMember(t testing.TB, id, dir, raftAddr string, bootstrap bool) *member {
	t.Helper()
	ctx := context.Background()
	m := &member{id: id, dir: dir}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	var err error
	if m.db, err = replicate.OpenDBOptions(ctx, filepath.Join(dir, "stacks.db"), append([]replicate.Migration{kvMigration}, Migrations()...), DBOptions()); err != nil {
		t.Fatal(err)
	}
	if raftAddr == "" {
		raftAddr = "127.0.0.1:0"
	}
	if m.ln, err = net.Listen("tcp", raftAddr); err != nil {
		t.Fatal(err)
	}
	m.addr = m.ln.Addr().String()
	mux := http.NewServeMux()
	m.http = httptest.NewServer(mux)
	m.node, err = New(Config{ID: id, Dir: filepath.Join(dir, "raft"), Listener: m.ln, URL: m.http.URL, Bootstrap: bootstrap,
		HeartbeatTimeout: testHeartbeat, ElectionTimeout: testHeartbeat, SnapshotThreshold: 50, PurgeKinds: []string{kindErase},
		ApplyTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := replicate.DefaultConfig(centralOrigin)
	cfg.Proposer = m.node
	m.log = replicate.NewLog(m.db, cfg, kvApplier{})
	if err := m.log.Open(ctx); err != nil {
		t.Fatal(err)
	}
	m.node.SetDecider("slots", slotDecider)
	if err := m.node.Open(ctx, m.log, m.db); err != nil {
		t.Fatal(err)
	}
	m.node.Register(mux)
	return m
}

func (m *member) stop() {
	m.http.Close()
	m.node.Close()
	m.log.Close()
	m.db.Close()
}

func (m *member) put(t *testing.T, k, v string) error {
	t.Helper()
	return m.log.Update(context.Background(), func(tx *replicate.Tx) error {
		_, err := tx.Emit(context.Background(), "kv", map[string]string{"K": k, "V": v}, "test", "api")
		return err
	})
}

func (m *member) hash(t *testing.T) string {
	t.Helper()
	h, err := replicate.StateHash(context.Background(), m.db.Read(), []string{"kv"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func leaderOf(ms []*member) *member {
	for _, m := range ms {
		if m != nil && m.node.IsLeader() {
			return m
		}
	}
	return nil
}

func startCluster(t testing.TB) []*member {
	t.Helper()
	base := t.TempDir()
	ms := []*member{startMember(t, "c1", filepath.Join(base, "c1"), "", true)}
	eventually(t, "a leader", func() bool { return ms[0].node.IsLeader() })
	eventually(t, "c1 published its URL", func() bool { _, ok := ms[0].node.member(context.Background(), "c1"); return ok })
	for _, id := range []string{"c2", "c3"} {
		m := startMember(t, id, filepath.Join(base, id), "", false)
		if err := ms[0].node.Join(context.Background(), Member{ID: id, RaftAddr: m.addr, URL: m.http.URL}); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	t.Cleanup(func() {
		for _, m := range ms {
			if m != nil {
				m.stop()
			}
		}
	})
	return ms
}

func TestClusterCommitsOneOriginEverywhere(t *testing.T) {
	ms := startCluster(t)
	// Writes on every node, followers forwarding to the leader.
	for i := range 30 {
		m := ms[i%3]
		if err := m.put(t, fmt.Sprintf("k%d", i%7), fmt.Sprintf("v%d", i)); err != nil {
			t.Fatalf("put on %s: %v", m.id, err)
		}
		// A follower answers once the write is applied there too.
		var v string
		if err := m.db.Read().QueryRow(`SELECT v FROM kv WHERE k=?`, fmt.Sprintf("k%d", i%7)).Scan(&v); err != nil || v != fmt.Sprintf("v%d", i) {
			t.Fatalf("read own write on %s: %q %v", m.id, v, err)
		}
	}
	// A branch's ops pushed to a follower.
	foreign := []replicate.Op{{Origin: 0xb1, Counter: 1, HLC: 5, Kind: "kv", Payload: []byte(`{"K":"b","V":"from-branch"}`)}}
	if n, err := ms[2].log.Integrate(context.Background(), foreign); err != nil || n != 1 {
		t.Fatalf("integrate: %d %v", n, err)
	}
	if n, err := ms[1].log.Integrate(context.Background(), foreign); err != nil || n != 0 {
		t.Fatalf("integrate a duplicate: %d %v", n, err)
	}
	want := ms[0].hash(t)
	eventually(t, "equal state", func() bool { return ms[1].hash(t) == want && ms[2].hash(t) == want })
	for _, m := range ms {
		vv, _ := m.log.VersionVector(context.Background())
		if vv[centralOrigin] != 30 || vv[0xb1] != 1 {
			t.Fatalf("%s: vector %v, want central:30 branch:1", m.id, vv)
		}
	}
	st := ms[1].node.Status(context.Background())
	if len(st.Peers) != 3 || st.LeaderID == "" || (st.State != "follower" && st.State != "leader") {
		t.Fatalf("status: %+v", st)
	}
}

func TestLeaderLossElectsAnotherAndWritesGoOn(t *testing.T) {
	ms := startCluster(t)
	if err := ms[1].put(t, "a", "1"); err != nil {
		t.Fatal(err)
	}
	old := leaderOf(ms)
	old.stop()
	for i, m := range ms {
		if m == old {
			ms[i] = nil
		}
	}
	var live []*member
	for _, m := range ms {
		if m != nil {
			live = append(live, m)
		}
	}
	eventually(t, "a new leader", func() bool { return leaderOf(live) != nil })
	eventually(t, "a write after the election", func() bool { return live[0].put(t, "a", "2") == nil })
	eventually(t, "the survivors agree", func() bool { return live[0].hash(t) == live[1].hash(t) })
	// Old leader's slot no longer stopped twice at cleanup.
	t.Cleanup(func() {})
}

func TestRestartFromSnapshotAndLog(t *testing.T) {
	ms := startCluster(t)
	for i := range 120 { // past the snapshot threshold of 50
		if err := ms[i%3].put(t, fmt.Sprintf("k%d", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	c3 := ms[2]
	if err := c3.node.Snapshot(); err != nil {
		t.Fatal(err)
	}
	for i := 120; i < 140; i++ { // entries after the snapshot
		if err := ms[0].put(t, fmt.Sprintf("k%d", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	want := ms[0].hash(t)
	eventually(t, "c3 caught up", func() bool { return c3.hash(t) == want })
	dir, addr := c3.dir, c3.addr
	c3.stop()
	ms[2] = nil
	// Lose the database: the node must rebuild from its snapshot plus the
	// Raft log.
	for _, f := range []string{"stacks.db", "stacks.db-wal", "stacks.db-shm"} {
		os.Remove(filepath.Join(dir, f))
	}
	c3 = startMember(t, "c3", dir, addr, false)
	ms[2] = c3
	eventually(t, "the restarted node to match", func() bool { return c3.hash(t) == want })
	vv0, _ := ms[0].log.VersionVector(context.Background())
	vv3, _ := c3.log.VersionVector(context.Background())
	if vv0[centralOrigin] != vv3[centralOrigin] {
		t.Fatalf("vectors differ: %v vs %v", vv0, vv3)
	}
	// And it goes on taking writes as one of the cluster.
	if err := c3.put(t, "after", "restart"); err != nil {
		t.Fatal(err)
	}
	want = c3.hash(t)
	eventually(t, "all agree", func() bool { return ms[0].hash(t) == want && ms[1].hash(t) == want })
}
