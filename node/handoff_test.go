package node_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/branch/handoff"
	"stacks/node"
)

// handoffCall sends a request with a bearer token (or as admin) and
// answers the status and body.
func handoffCall(t *testing.T, url, token string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	} else {
		req.SetBasicAuth("admin", "admin")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestHandoffSingleUseInACluster: a real three-node Raft central and a
// branch. A patron makes a code at the branch (decided by central); it is
// used once at a central follower (forwarded to the leader), and then
// refused on every node: the other follower, the leader and the branch.
func TestHandoffSingleUseInACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Raft cluster")
	}
	dir := t.TempDir()
	_, peers := startCentrals(t, dir, nil)
	if code := apiDo(t, "PUT", peers[1]+"/api/v1/libraries/MAIN", map[string]any{"name": "Main"}, nil); code >= 300 {
		t.Fatalf("library: %d", code)
	}
	if code := apiDo(t, "PUT", peers[1]+"/api/v1/patron_categories/ADULT", map[string]any{"description": "Adult", "max_fine_cents": 1000,
		"enrolment_months": 12, "max_holds": 10}, nil); code >= 300 {
		t.Fatalf("category: %d", code)
	}
	var p domain.Patron
	if code := apiDo(t, "POST", peers[0]+"/api/v1/patrons", map[string]any{"cardnumber": "29000001", "surname": "Handoff",
		"library_id": "MAIN", "category_id": "ADULT", "pin": "1234"}, &p); code != 201 {
		t.Fatalf("patron: %d", code)
	}

	bcfg := node.DefaultConfig()
	bcfg.DataDir, bcfg.HTTPAddr, bcfg.PINCost, bcfg.Peers, bcfg.SyncInterval = filepath.Join(dir, "main"), "127.0.0.1:0", 4, peers, 100*time.Millisecond
	bcfg.ClusterKeyFile, bcfg.Demo, bcfg.Branch = filepath.Join(dir, "cluster.key"), false, "MAIN"
	main := startNode(t, bcfg)
	ub := "http://" + main.Addr()
	var sess struct {
		Token string `json:"token"`
	}
	eventually(t, 60*time.Second, "the patron at the branch", func() bool {
		return apiDo(t, "POST", ub+"/api/v1/auth/patron", map[string]string{"cardnumber": "29000001", "pin": "1234"}, &sess) == 200
	})

	code, body := handoffCall(t, ub+"/api/v1/patron/handoff_codes", sess.Token, map[string]string{"intent": "kiosk_login"})
	if code != 201 {
		t.Fatalf("issue at the branch: %d %s", code, body)
	}
	var issued handoff.Issued
	json.Unmarshal(body, &issued)
	code, body = handoffCall(t, peers[1]+"/api/v1/handoff_codes/redemption", "", map[string]string{"code": issued.Code})
	if code != 200 || !strings.Contains(string(body), p.PatronID) {
		t.Fatalf("use at a follower: %d %s", code, body)
	}
	for _, at := range []string{peers[2], peers[0], ub} {
		code, body := handoffCall(t, at+"/api/v1/handoff_codes/redemption", "", map[string]string{"code": issued.Code})
		if code != 400 || !strings.Contains(string(body), "already been used") {
			t.Errorf("second use at %s: %d %s", at, code, body)
		}
	}
	// The branch holds the use as well (its ops came back with the answer).
	code, body = handoffCall(t, ub+"/api/v1/patron/handoff_codes", sess.Token, map[string]string{"intent": "pay_at_desk"})
	if code != 201 {
		t.Fatalf("second code: %d %s", code, body)
	}
	json.Unmarshal(body, &issued)
	if code, body := handoffCall(t, ub+"/api/v1/handoff_codes/redemption", "", map[string]string{"code": issued.Code}); code != 200 {
		t.Fatalf("use at the branch: %d %s", code, body)
	}
	if code, body := handoffCall(t, peers[1]+"/api/v1/handoff_codes/redemption", "", map[string]string{"code": issued.Code}); code != 400 {
		t.Errorf("second use at a follower: %d %s", code, body)
	}
}
