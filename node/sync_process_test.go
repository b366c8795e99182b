package node_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// linkProxy forwards TCP to a target until cut; a cut link drops live
// connections and refuses new ones, like a failed WAN link.
type linkProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	up     bool
	conns  map[net.Conn]bool
}

func newLinkProxy(t *testing.T, target string) *linkProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &linkProxy{ln: ln, target: target, up: true, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.set(false) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			up := p.up
			if up {
				p.conns[c] = true
			}
			p.mu.Unlock()
			if !up {
				c.Close()
				continue
			}
			go p.pipe(c)
		}
	}()
	return p
}

func (p *linkProxy) pipe(c net.Conn) {
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[u] = true
	p.mu.Unlock()
	go func() { io.Copy(u, c); u.Close() }()
	io.Copy(c, u)
	c.Close()
}

func (p *linkProxy) set(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}

func (p *linkProxy) url() string { return "http://" + p.ln.Addr().String() }

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type nodeState struct {
	NodeID    string `json:"node_id"`
	StateHash string `json:"state_hash"`
}

func stateOf(url string) (nodeState, error) {
	var st nodeState
	resp, err := asAdmin("GET", url+"/api/v1/cluster/state", nil)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// e.g. 401 on a new branch that has not yet synced the staff accounts
		return st, fmt.Errorf("cluster state: %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// converged waits until every node reports the same state hash.
func converged(t *testing.T, urls []string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var hashes []string
		same := true
		for _, u := range urls {
			st, err := stateOf(u)
			if err != nil {
				same = false
				break
			}
			hashes = append(hashes, st.StateHash)
			same = same && st.StateHash == hashes[0]
		}
		if same {
			return hashes[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no convergence within %s: %v", within, hashes)
		}
		time.Sleep(50 * time.Millisecond) // poll
	}
}

func conflictsOf(t *testing.T, url string) string {
	t.Helper()
	resp, err := asAdmin("GET", url+"/api/v1/conflicts", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestPartitionedBranchesConverge: three branchd processes; the link to one
// is cut; both sides lend the same item and register the same card number;
// the link heals and all three converge on one state and one conflicts queue.
func TestPartitionedBranchesConverge(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three branchd processes")
	}
	addrA, addrB, addrC := freeAddr(t), freeAddr(t), freeAddr(t)
	aToB, bToA := newLinkProxy(t, addrB), newLinkProxy(t, addrA)
	aToC, cToA := newLinkProxy(t, addrC), newLinkProxy(t, addrA)
	fast := []string{"--sync-interval", "150ms"}
	a := startBranchd(t, append(fast, "--data", t.TempDir(), "--http", addrA, "--peer", aToB.url(), "--peer", aToC.url())...)
	b := startBranchd(t, append(fast, "--data", t.TempDir(), "--http", addrB, "--branch", "EAST", "--demo=false", "--peer", bToA.url())...)
	c := startBranchd(t, append(fast, "--data", t.TempDir(), "--http", addrC, "--branch", "WEST", "--demo=false", "--peer", cToA.url())...)
	urls := []string{a.url, b.url, c.url}
	start := time.Now()
	converged(t, urls, 60*time.Second)
	t.Logf("initial sync of the demo library to two empty branches: %s", time.Since(start))

	var items []struct {
		Barcode string `json:"barcode"`
	}
	getJSON(t, a.url+"/api/v1/items?status=available&item_type_id=BOOK&_per_page=1", &items)
	barcode := items[0].Barcode

	// Cut EAST off.
	aToB.set(false)
	bToA.set(false)
	for i, side := range []string{a.url, b.url} {
		card := fmt.Sprintf("2100000000%04d", 10+i) // different demo patrons
		if code, body, err := postJSON(side+"/api/v1/checkouts", map[string]string{"cardnumber": card, "barcode": barcode}); err != nil || code != 201 {
			t.Fatalf("checkout on %s during partition: %d %v %v", side, code, body, err)
		}
		if code, body, err := postJSON(side+"/api/v1/patrons", map[string]any{"cardnumber": "29999999999999", "surname": fmt.Sprint("Twin", i),
			"category_id": "ADULT", "pin": "1234"}); err != nil || code != 201 {
			t.Fatalf("register on %s during partition: %d %v %v", side, code, body, err)
		}
	}
	// The partitioned side keeps lending; WEST follows MAIN, not EAST.
	converged(t, []string{a.url, c.url}, 30*time.Second)
	if sa, _ := stateOf(a.url); func() bool { sb, _ := stateOf(b.url); return sb.StateHash == sa.StateHash }() {
		t.Fatal("EAST converged while cut off")
	}

	aToB.set(true)
	bToA.set(true)
	healed := time.Now()
	converged(t, urls, 30*time.Second)
	t.Logf("converged %s after the link healed", time.Since(healed))
	want := conflictsOf(t, a.url)
	for _, u := range urls[1:] {
		if got := conflictsOf(t, u); got != want {
			t.Fatalf("conflicts differ:\n%s\n%s", got, want)
		}
	}
	var cs []struct {
		Kind   string `json:"kind"`
		Status string `json:"status"`
	}
	json.Unmarshal([]byte(want), &cs)
	kinds := map[string]bool{}
	for _, c := range cs {
		kinds[c.Kind] = c.Status == "open"
	}
	if !kinds["double_loan"] || !kinds["duplicate_card"] {
		t.Fatalf("want open double_loan and duplicate_card conflicts, got %s", want)
	}
	var peers []struct {
		URL         string `json:"url"`
		LastSuccess string `json:"last_success"`
		Errors      int    `json:"errors"`
	}
	getJSON(t, b.url+"/api/v1/cluster/peers", &peers)
	if len(peers) != 1 || peers[0].LastSuccess == "" || peers[0].Errors == 0 {
		t.Fatalf("EAST's peer status should show the outage and the recovery: %+v", peers)
	}
}
