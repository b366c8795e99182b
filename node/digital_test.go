package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"stacks/branch/digital"
	"stacks/branch/domain"
	"stacks/node"
)

// digitalCall sends a request as admin and answers the status and body.
func digitalCall(t *testing.T, method, url string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.SetBasicAuth("admin", "admin")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestDigitalLicencesNeverExceededInACluster: a real three-node Raft
// central and two branches; 30 patrons race for the three places of one
// e-book through all five nodes (central followers forward to the leader,
// branches forward to central). Exactly three are lent, every node ends
// with three running loans and none over a licence; the losers' holds are
// filled in order when a loan is returned; renewal is refused while they
// wait; a branch that cannot reach central refuses e-books plainly, in
// Finnish too; a branch with no peers grants by itself.
func TestDigitalLicencesNeverExceededInACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Raft cluster")
	}
	dir := t.TempDir()
	centrals, peers := startCentrals(t, dir, nil)
	u2 := peers[1] // a follower: its writes go to the leader
	for _, r := range []struct{ path, method string }{{"/api/v1/libraries/MAIN", "PUT"}, {"/api/v1/patron_categories/ADULT", "PUT"}} {
		body := map[string]any{"description": "Adult", "max_fine_cents": 1000, "enrolment_months": 12, "max_holds": 10}
		if r.path == "/api/v1/libraries/MAIN" {
			body = map[string]any{"name": "Main"}
		}
		if code := apiDo(t, r.method, u2+r.path, body, nil); code >= 300 {
			t.Fatalf("%s %s: %d", r.method, r.path, code)
		}
	}
	rule := map[string]any{"library_id": "*", "category_id": "*", "item_type_id": "EBOOK", "loan_days": 14, "renewals_allowed": 2,
		"max_checkouts": 5, "holds_allowed": true}
	if code := apiDo(t, "PUT", u2+"/api/v1/circulation-rules", rule, nil); code >= 300 {
		t.Fatalf("put rule: %d", code)
	}
	var b domain.Biblio
	if code := apiDo(t, "POST", u2+"/api/v1/biblios", map[string]any{"title": "The Last Licence", "format": "ebook", "licences": 1}, &b); code != 201 {
		t.Fatalf("add title: %d", code)
	}
	var lr domain.DigitalResult
	if code := apiDo(t, "POST", u2+"/api/v1/biblios/"+b.BiblioID+"/licences", map[string]any{"copies": 2, "max_loans": 26}, &lr); code != 201 {
		t.Fatalf("add licence: %d", code)
	}
	const patrons = 30
	ids := make([]string, patrons)
	for i := range patrons {
		var p domain.Patron
		np := map[string]any{"cardnumber": fmt.Sprintf("2900%04d", i), "firstname": "P", "surname": fmt.Sprint(i), "library_id": "MAIN",
			"category_id": "ADULT", "pin": "1234"}
		if code := apiDo(t, "POST", peers[i%3]+"/api/v1/patrons", np, &p); code != 201 {
			t.Fatalf("register patron: %d", code)
		}
		ids[i] = p.PatronID
	}

	bcfg := node.DefaultConfig()
	bcfg.DataDir, bcfg.HTTPAddr, bcfg.PINCost, bcfg.Peers, bcfg.SyncInterval = filepath.Join(dir, "main"), "127.0.0.1:0", 4, peers, 100*time.Millisecond
	bcfg.ClusterKeyFile, bcfg.Demo, bcfg.Branch = filepath.Join(dir, "cluster.key"), false, "MAIN"
	main := startNode(t, bcfg)
	ecfg := bcfg
	ecfg.DataDir, ecfg.Branch, ecfg.Peers = filepath.Join(dir, "east"), "EAST", []string{peers[2], peers[0]}
	east := startNode(t, ecfg)
	branches := []*node.Node{main, east}
	for _, br := range branches {
		if br.Digital().Standalone() {
			t.Fatal("a branch with central peers decides digital loans itself")
		}
		eventually(t, 60*time.Second, "central's staff accounts at the branch", func() bool {
			return apiDo(t, "GET", "http://"+br.Addr()+"/api/v1/cluster/state", nil, nil) == 200
		})
	}

	// The race: every patron at once, through all five nodes.
	all := append(append([]*node.Node{}, centrals...), branches...)
	var mu sync.Mutex
	var granted []*domain.DigitalLoan
	var losers []string
	var wg sync.WaitGroup
	for i, pid := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := "http://" + all[i%len(all)].Addr()
			code, body := digitalCall(t, "POST", at+"/api/v1/digital_checkouts", map[string]any{"patron_id": pid, "biblio_id": b.BiblioID})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case code == http.StatusCreated:
				var res domain.DigitalResult
				json.Unmarshal(body, &res)
				granted = append(granted, res.Loan)
			case code == http.StatusForbidden && bytes.Contains(body, []byte(domain.CodeNoLicenceFree)):
				losers = append(losers, pid)
			default:
				t.Errorf("borrow through %s: %d %s", at, code, body)
			}
		}()
	}
	wg.Wait()
	if len(granted) != 3 || len(losers) != patrons-3 {
		t.Fatalf("%d loans granted on 3 places (%d refused)", len(granted), len(losers))
	}
	ctx := context.Background()
	for _, n := range all {
		eventually(t, 60*time.Second, "every node to hold the three loans", func() bool {
			total, free, err := n.Digital().Counts(ctx, b.BiblioID)
			return err == nil && total == 3 && free == 0
		})
		bad, err := digital.ActiveOverCapacity(ctx, n.Service().Read())
		if err != nil || len(bad) > 0 {
			t.Fatalf("node %s: %v %v", n.Identity().Branch, bad, err)
		}
	}

	// Two losers queue (through a branch); a renewal is refused while they
	// wait; a return through the other branch lends the title to the first.
	for _, pid := range losers[:2] {
		if code, body := digitalCall(t, "POST", "http://"+main.Addr()+"/api/v1/digital_holds", map[string]any{"patron_id": pid, "biblio_id": b.BiblioID}); code != 201 {
			t.Fatalf("hold: %d %s", code, body)
		}
	}
	if code, body := digitalCall(t, "POST", "http://"+east.Addr()+"/api/v1/digital_checkouts/"+granted[0].LoanID+"/renewal", nil); code != 403 ||
		!bytes.Contains(body, []byte(domain.CodeRenewalBlocked)) {
		t.Fatalf("renewal with a queue: %d %s", code, body)
	}
	code, body := digitalCall(t, "POST", "http://"+east.Addr()+"/api/v1/digital_checkouts/"+granted[1].LoanID+"/return", nil)
	var ret domain.DigitalResult
	json.Unmarshal(body, &ret)
	if code != 200 || len(ret.Filled) != 1 || ret.Filled[0].PatronID != losers[0] {
		t.Fatalf("return: %d %s", code, body)
	}
	// The branch that forwarded shows the new loan at once.
	if ls, err := east.Digital().PatronLoans(ctx, losers[0], false); err != nil || len(ls) != 1 {
		t.Fatalf("the filled hold's loan at EAST: %v %v", ls, err)
	}

	// A branch cut off from central refuses, and says why.
	wcfg := bcfg
	wcfg.DataDir, wcfg.Branch, wcfg.Peers = filepath.Join(dir, "west"), "WEST", []string{"http://127.0.0.1:1"}
	west := startNode(t, wcfg)
	_, err := west.Digital().Borrow(ctx, domain.DigitalRequest{PatronID: ids[0], BiblioID: b.BiblioID}, "fi")
	if domain.ErrorCode(err) != domain.CodeDigitalOffline || !bytes.Contains([]byte(err.Error()), []byte(digital.Text("fi", "offline"))) {
		t.Fatalf("offline branch: %v", err)
	}
	// A branch with no peers and no central grants by itself.
	scfg := bcfg
	scfg.DataDir, scfg.Branch, scfg.Peers = filepath.Join(dir, "alone"), "ALONE", nil
	if alone := startNode(t, scfg); !alone.Digital().Standalone() {
		t.Fatal("a branch with no peers does not decide digital loans itself")
	}
}
