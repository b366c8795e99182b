package central

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"stacks/replicate"
)

// kindErase is the test's erasure: it deletes a key and cuts its value out
// of the payloads of the ops that set it, as branch/privacy's erasure
// redacts a patron's ops. It is a purge kind of the test clusters.
const kindErase = "kv.erase"

func eraseKey(ctx context.Context, tx *replicate.Tx, k string) error {
	var v string
	err := tx.QueryRowContext(ctx, `SELECT v FROM kv WHERE k=?`, k).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) || v == "" {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM kv WHERE k=?`, k); err != nil {
		return err
	}
	var hits []replicate.Op
	if err := tx.ScanOps(ctx, replicate.OpFilter{Kinds: []string{"kv"}, Match: func(op replicate.Op) bool {
		return bytes.Contains(op.Payload, []byte(v))
	}}, func(op replicate.Op) error {
		hits = append(hits, op)
		return nil
	}); err != nil {
		return err
	}
	for _, op := range hits {
		if _, err := tx.RewriteOp(ctx, op.Origin, op.Counter, bytes.ReplaceAll(op.Payload, []byte(v), nil), op.Actor); err != nil {
			return err
		}
		tx.MarkRedacted()
	}
	return nil
}

// eachFile calls fn with the path and bytes of every file under dir.
func eachFile(t *testing.T, dir string, fn func(path string, b []byte)) {
	t.Helper()
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fn(path, b)
		return nil
	})
}

// filesHolding lists the files under dir whose bytes hold any of secrets.
func filesHolding(t *testing.T, dir string, secrets []string) []string {
	t.Helper()
	var found []string
	eachFile(t, dir, func(path string, b []byte) {
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				found = append(found, path+" holds "+s)
			}
		}
	})
	return found
}

// logHolds reports whether any entry of m's Raft log holds s, on disk or
// in the log's in-memory cache (read through it, as Raft reads its log).
func logHolds(t *testing.T, m *member, s string) bool {
	t.Helper()
	// From the first index on, not the store's first: the cache could keep
	// entries the store no longer has.
	last, _ := m.node.store.LastIndex()
	last = max(last, m.node.raft.LastIndex())
	for i := uint64(1); i <= last; i++ {
		var l raft.Log
		if err := m.node.logs.GetLog(i, &l); err != nil {
			continue
		}
		if bytes.Contains(l.Data, []byte(s)) {
			return true
		}
	}
	return false
}

func TestErasurePurgesRaftLogOfEveryCentralNode(t *testing.T) {
	ms := startCluster(t)
	secrets := []string{"Vänskä-Surname-Qx", "2999000123456", "qx.vanska@example.org", "+358401234567"}
	val := strings.Join(secrets, "|")
	// The patron's data goes through central: written on a follower and on
	// the leader, between other entries, and into a snapshot.
	if err := ms[1].put(t, "patron:7", val); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if err := ms[i%3].put(t, "k"+string(rune('a'+i%26)), "v"); err != nil {
			t.Fatal(err)
		}
	}
	if err := ms[0].node.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if err := ms[0].put(t, "patron:7", val); err != nil {
		t.Fatal(err)
	}
	want := ms[0].hash(t)
	eventually(t, "all hold the patron", func() bool { return ms[1].hash(t) == want && ms[2].hash(t) == want })
	if !logHolds(t, ms[2], secrets[0]) {
		t.Fatal("the Raft log holds no copy of the data to begin with: the test proves nothing")
	}

	// The erasure, proposed on a follower.
	err := ms[2].log.Update(context.Background(), func(tx *replicate.Tx) error {
		_, err := tx.Emit(context.Background(), kindErase, map[string]string{"K": "patron:7"}, "test", "api")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		eventually(t, m.id+"'s Raft log purged", func() bool { return !logHolds(t, m, secrets[0]) })
	}

	// A write of the erased key made on a branch cut off at the time
	// reaches central after the erasure (pushed to a follower): it is
	// redacted on arrival, and purged from every node's Raft log too (not
	// kept until Raft's ordinary compaction, thousands of entries later).
	lateSecret := "Late-Vänskä-Qx-99"
	late := []replicate.Op{{Origin: 0xb1, Counter: 1, HLC: 7, Kind: "kv", Payload: []byte(`{"K":"patron:7","V":"` + lateSecret + "|" + val + `"}`)}}
	if n, err := ms[1].log.Integrate(context.Background(), late); err != nil || n != 1 {
		t.Fatalf("integrate the late write: %d %v", n, err)
	}
	secrets = append(secrets, lateSecret)
	for _, m := range ms {
		var n int
		eventually(t, m.id+" applied the late write", func() bool {
			m.db.Read().QueryRow(`SELECT count(*) FROM ops WHERE origin=?`, 0xb1).Scan(&n)
			return n == 1
		})
		eventually(t, m.id+"'s Raft log purged of the late write", func() bool { return !logHolds(t, m, lateSecret) && !logHolds(t, m, secrets[0]) })
	}

	// The cluster still works: a write commits everywhere, a follower that
	// was down catches up (from the snapshot: the entries it missed before
	// the erasure are gone), and every node restarts (compacting raft.db).
	c3 := ms[2]
	dir3, addr3 := c3.dir, c3.addr
	c3.stop()
	ms[2] = nil
	for i := range 5 {
		if err := ms[i%2].put(t, "while-down", "v"); err != nil {
			t.Fatal(err)
		}
	}
	ms[2] = startMember(t, "c3", dir3, addr3, false)
	want = ms[0].hash(t)
	eventually(t, "c3 caught up", func() bool { return ms[2].hash(t) == want })
	for i := range 2 {
		m := ms[i]
		dir, addr, id := m.dir, m.addr, m.id
		m.stop()
		ms[i] = nil
		ms[i] = startMember(t, id, dir, addr, false)
		eventually(t, id+" back", func() bool { return ms[i].hash(t) == want })
	}
	eventually(t, "a leader", func() bool { return leaderOf(ms) != nil })
	// (On the leader: a restarted node's test HTTP server has a new URL,
	// which followers learn only once it leads and records it.)
	l := leaderOf(ms)
	if err := l.put(t, "after", "erasure"); err != nil {
		t.Fatal(err)
	}
	want = l.hash(t)
	eventually(t, "all agree after the erasure", func() bool {
		return ms[0].hash(t) == want && ms[1].hash(t) == want && ms[2].hash(t) == want
	})

	for _, m := range ms {
		if err := m.db.CheckpointTruncate(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(m.dir, "raft", purgedMarker)); err == nil {
			t.Errorf("%s: raft.db not compacted at restart", m.id)
		}
		metas, _ := m.node.snaps.List()
		if len(metas) != 1 {
			t.Errorf("%s keeps %d snapshots", m.id, len(metas))
		}
	}
	var found []string
	for _, m := range ms {
		found = append(found, filesHolding(t, m.dir, secrets)...)
	}
	if len(found) > 0 {
		t.Fatalf("the erased data remains:\n%s", strings.Join(found, "\n"))
	}
}

// raft-wal keeps the bytes of entries deleted from the head of a segment
// in its file; compactIfPurged leaves none, and keeps the live entries and
// the stable store.
func TestCompactIfPurgedDropsDeletedEntries(t *testing.T) {
	dir := t.TempDir()
	st, err := openLogStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	secret := "Qx-erased-surname-4711"
	var logs []*raft.Log
	for i := uint64(1); i <= 20; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: []byte(strings.Repeat(secret, 50))})
	}
	if err := st.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := st.SetUint64([]byte("CurrentTerm"), 3); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteRange(1, 19); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if n := countIn(t, filepath.Join(dir, walDir), secret+secret); n <= 25 {
		t.Fatalf("%d copies before compaction: the log kept no deleted bytes here, the test proves nothing", n)
	}
	os.WriteFile(filepath.Join(dir, purgedMarker), nil, 0o600)
	st, err = openLogStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Only entry 20 is live: its bytes stay, once.
	if n := countIn(t, dir, secret+secret); n != 25 {
		t.Fatalf("%d copies after compaction, want the live entry's 25", n)
	}
	if _, err := os.Stat(filepath.Join(dir, purgedMarker)); err == nil {
		t.Fatal("marker left")
	}
	first, _ := st.FirstIndex()
	last, _ := st.LastIndex()
	term, _ := st.GetUint64([]byte("CurrentTerm"))
	if first != 20 || last != 20 || term != 3 {
		t.Fatalf("after compaction: indexes %d-%d, term %d", first, last, term)
	}
	// It still takes appends after the live entry.
	if err := st.StoreLog(&raft.Log{Index: 21, Term: 3, Type: raft.LogCommand, Data: []byte("next")}); err != nil {
		t.Fatal(err)
	}
}

// countIn counts the copies of s in the files under dir.
func countIn(t *testing.T, dir, s string) int {
	t.Helper()
	n := 0
	eachFile(t, dir, func(_ string, b []byte) { n += bytes.Count(b, []byte(s)) })
	return n
}

// A node of an older version kept its Raft log in raft.db (raft-boltdb):
// the next start copies its entries and stable keys into raft-wal and
// removes raft.db; a start interrupted after the copy finishes the job.
func TestMigrateBoltLog(t *testing.T) {
	dir := t.TempDir()
	old, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, boltFile)})
	if err != nil {
		t.Fatal(err)
	}
	var logs []*raft.Log
	for i := uint64(5); i <= 9; i++ { // a log truncated by a snapshot at 4
		logs = append(logs, &raft.Log{Index: i, Term: 2, Type: raft.LogCommand, Data: []byte(fmt.Sprintf("entry %d", i))})
	}
	if err := old.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	old.SetUint64([]byte("CurrentTerm"), 4)
	old.Set([]byte("LastVoteCand"), []byte("c2"))
	old.Close()
	os.WriteFile(filepath.Join(dir, boltFile+".purged"), nil, 0o600)

	st, err := openLogStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{boltFile, boltFile + ".purged", walDir + ".migrate"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s left after the migration", f)
		}
	}
	first, _ := st.FirstIndex()
	last, _ := st.LastIndex()
	term, _ := st.GetUint64([]byte("CurrentTerm"))
	cand, _ := st.Get([]byte("LastVoteCand"))
	if first != 5 || last != 9 || term != 4 || string(cand) != "c2" {
		t.Fatalf("migrated: indexes %d-%d, term %d, vote %q", first, last, term, cand)
	}
	for i := uint64(5); i <= 9; i++ {
		var l raft.Log
		if err := st.GetLog(i, &l); err != nil || string(l.Data) != fmt.Sprintf("entry %d", i) || l.Term != 2 {
			t.Fatalf("entry %d: %q term %d %v", i, l.Data, l.Term, err)
		}
	}
	if err := st.StoreLog(&raft.Log{Index: 10, Term: 4, Type: raft.LogCommand, Data: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// A crash after the copy, before raft.db was removed: raft.db goes,
	// the log (with the entry stored since) stays.
	stale, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, boltFile)})
	if err != nil {
		t.Fatal(err)
	}
	stale.StoreLogs(logs[:1])
	stale.Close()
	st, err = openLogStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := os.Stat(filepath.Join(dir, boltFile)); err == nil {
		t.Error("raft.db left")
	}
	if last, _ := st.LastIndex(); last != 10 {
		t.Errorf("last index %d after the second start, want 10", last)
	}
}
