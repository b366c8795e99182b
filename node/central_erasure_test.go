package node_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/node"
	"stacks/node/apitype"
	"stacks/node/nodetest"
)

// TestCentralErasurePurgesRaftLog: three central nodes in process; a patron
// registered at central (their ops go through the Raft log) is erased on a
// follower. Every central node then purges its Raft log (the wiring of
// privacy.erase as a purge kind): it marks its Raft log for a rewrite, keeps
// one snapshot, taken after the erasure, that holds none of the patron's
// values, and the cluster still commits writes everywhere.
func TestCentralErasurePurgesRaftLog(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cluster.key"), bytes.Repeat([]byte{7}, 32), 0o600)
	c1 := startNode(t, nodetest.CentralConfig(dir, "c1", true))
	u1 := "http://" + c1.Addr()
	var ri apitype.RaftInfo
	eventually(t, 30*time.Second, "c1 leads", func() bool {
		return apiDo(t, "GET", u1+"/api/v1/cluster/raft", nil, &ri) == 200 && ri.State == "leader"
	})
	centrals := []*node.Node{c1}
	for _, id := range []string{"c2", "c3"} {
		c := startNode(t, nodetest.CentralConfig(dir, id, false))
		m := apitype.CentralMember{ID: id, RaftAddr: c.RaftAddr(), URL: "http://" + c.Addr()}
		eventually(t, 30*time.Second, id+" joins", func() bool { return apiDo(t, "POST", u1+"/api/v1/cluster/members", m, nil) == 204 })
		centrals = append(centrals, c)
	}
	var urls []string
	for _, c := range centrals {
		urls = append(urls, "http://"+c.Addr())
	}
	if code := apiDo(t, "PUT", urls[1]+"/api/v1/libraries/MAIN", map[string]any{"name": "Central Library", "institution_id": "STACKS"}, nil); code != 200 {
		t.Fatalf("put library: %d", code)
	}
	if code := apiDo(t, "PUT", urls[1]+"/api/v1/patron_categories/ADULT", map[string]any{"description": "Adult", "max_holds": 5}, nil); code != 200 {
		t.Fatalf("put category: %d", code)
	}
	secrets := []string{"Quillfeather-Ostrova", "29471036559999", "q.ostrova@example.net", "+358405550311"}
	code, body, err := postJSON(urls[1]+"/api/v1/patrons", map[string]any{"cardnumber": secrets[1], "firstname": "Mirabel", "surname": secrets[0],
		"email": secrets[2], "phone": secrets[3], "category_id": "ADULT", "library_id": "MAIN", "pin": "1234"})
	if err != nil || code != 201 {
		t.Fatalf("register at central: %d %v %v", code, body, err)
	}
	id, _ := body["patron_id"].(string)
	converged(t, urls, 30*time.Second)
	code, body, err = postJSON(urls[2]+"/api/v1/patrons/"+id+"/erasure", map[string]string{"reason": "GDPR article 17 request"})
	if err != nil || code != 200 {
		t.Fatalf("erasure: %d %v %v", code, body, err)
	}
	for _, name := range []string{"c1", "c2", "c3"} {
		raftDir := filepath.Join(dir, name, "raft")
		eventually(t, 30*time.Second, name+" purged its Raft log", func() bool {
			if _, err := os.Stat(filepath.Join(raftDir, "raft-wal.purged")); err != nil {
				return false
			}
			snaps, _ := os.ReadDir(filepath.Join(raftDir, "snapshots"))
			n := 0
			for _, s := range snaps {
				n += btoi(s.IsDir() && !strings.HasSuffix(s.Name(), ".tmp"))
			}
			return n == 1
		})
		filepath.WalkDir(filepath.Join(raftDir, "snapshots"), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, _ := os.ReadFile(path)
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s holds %s", path, s)
				}
			}
			return nil
		})
	}
	// The cluster still takes writes and every node applies them.
	if code := apiDo(t, "PUT", urls[1]+"/api/v1/libraries/NORTH", map[string]any{"name": "North Branch"}, nil); code != 200 {
		t.Fatalf("put library after the erasure: %d", code)
	}
	converged(t, urls, 30*time.Second)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
