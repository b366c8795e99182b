package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/node"
	"stacks/node/nodetest"
)

// TestEventSeatsNeverOversoldInACluster: a real three-node Raft central
// and two branches on 127.0.0.1. An event of 6 seats created at a branch
// starts in central's account; 40 patrons register at once through all
// five nodes (branches ask central for seats, central nodes decide in its
// Raft log). No node ever shows more seats taken than 6; cancellations
// free seats that the nodes' promotion loops give to the waitlist, head
// first; every node ends with the same registrations and waitlist order.
func TestEventSeatsNeverOversoldInACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Raft cluster")
	}
	dir := t.TempDir()
	centrals, peers := startCentrals(t, dir, nil)
	u2 := peers[1]
	for _, r := range []struct{ path, method string }{{"/api/v1/libraries/MAIN", "PUT"}, {"/api/v1/libraries/EAST", "PUT"}, {"/api/v1/patron_categories/ADULT", "PUT"}} {
		body := map[string]any{"description": "Adult", "max_fine_cents": 1000, "enrolment_months": 12, "max_holds": 10}
		if r.path != "/api/v1/patron_categories/ADULT" {
			body = map[string]any{"name": "Main"}
		}
		if code := apiDo(t, r.method, u2+r.path, body, nil); code >= 300 {
			t.Fatalf("%s %s: %d", r.method, r.path, code)
		}
	}
	const patrons, capacity = 40, 6
	ids := make([]string, patrons)
	for i := range patrons {
		var p domain.Patron
		np := map[string]any{"cardnumber": fmt.Sprintf("2800%04d", i), "firstname": "P", "surname": fmt.Sprint(i), "library_id": "MAIN",
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
		if code := apiDo(t, "PUT", u2+"/api/v1/cluster/nodes/"+br.Identity().NodeHex, map[string]any{"library_id": br.Identity().Branch}, nil); code != 200 {
			t.Fatalf("register branch node: %d", code)
		}
		eventually(t, 60*time.Second, "central's staff and patrons at the branch", func() bool {
			return apiDo(t, "GET", "http://"+br.Addr()+"/api/v1/patrons/"+ids[patrons-1], nil, nil) == 200
		})
	}
	start := time.Now().Add(72 * time.Hour).UTC()
	var ev domain.Event
	if code := apiDo(t, "POST", "http://"+main.Addr()+"/api/v1/events", map[string]any{"title": "Author visit", "library_id": "MAIN",
		"start": start.Format(time.RFC3339), "end": start.Add(time.Hour).Format(time.RFC3339), "capacity": capacity}, &ev); code != 201 {
		t.Fatalf("create event: %d", code)
	}
	all := append(append([]*node.Node{}, centrals...), branches...)
	ctx := context.Background()
	for _, n := range all {
		eventually(t, 60*time.Second, "the event at "+n.Identity().Branch+" "+n.Addr(), func() bool { _, err := n.Events().Event(ctx, ev.EventID); return err == nil })
	}
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	for i, pid := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := "http://" + all[i%len(all)].Addr()
			code, body := digitalCall(t, "POST", at+"/api/v1/events/"+ev.EventID+"/registrations", map[string]any{"patron_id": pid})
			if code != http.StatusCreated {
				t.Errorf("register through %s: %d %s", at, code, body)
				return
			}
			var r domain.EventRegistration
			json.Unmarshal(body, &r)
			if r.Status == domain.EventRegistered {
				mu.Lock()
				acked[r.RegistrationID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(acked) == 0 || len(acked) > capacity {
		t.Fatalf("%d registrations acknowledged with a seat, capacity %d", len(acked), capacity)
	}
	overbooked := func(n *node.Node) {
		t.Helper()
		bad, err := events.Overbooked(ctx, n.Service().Read())
		if err != nil || len(bad) > 0 {
			t.Fatalf("node %s: %v %v", n.Identity().Branch, bad, err)
		}
	}
	for _, n := range all {
		overbooked(n)
	}
	// Two registered patrons cancel (one at each branch): their seats go
	// back to the accounts that held them, and the promotion loops fill
	// the event again from the waitlist.
	var cancelled []string
	for id := range acked {
		if len(cancelled) == 2 {
			break
		}
		at := branches[len(cancelled)]
		// The registration may have been made at another node: the
		// branch cancels it once it has it.
		eventually(t, 60*time.Second, "the cancelling branch to know the registration", func() bool {
			_, err := at.Events().Registration(ctx, id)
			return err == nil
		})
		if code, body := digitalCall(t, "DELETE", "http://"+at.Addr()+"/api/v1/events/"+ev.EventID+"/registrations/"+id, nil); code != 200 {
			t.Fatalf("cancel: %d %s", code, body)
		}
		cancelled = append(cancelled, id)
	}
	var orders [][]string
	for _, n := range all {
		eventually(t, 60*time.Second, "every node to see the event full again and agree", func() bool {
			e, err := n.Events().Event(ctx, ev.EventID)
			if err != nil || e.SeatsTaken > capacity {
				t.Fatalf("node %s: %+v %v", n.Identity().Branch, e, err)
			}
			return e.SeatsTaken == capacity && e.Waitlisted == patrons-capacity-2
		})
		overbooked(n)
	}
	for _, n := range all {
		eventually(t, 30*time.Second, "the same waitlist on every node", func() bool {
			wl, err := n.Events().Waitlist(ctx, ev.EventID)
			if err != nil {
				return false
			}
			var o []string
			for _, r := range wl {
				o = append(o, r.RegistrationID)
			}
			if len(orders) == 0 {
				orders = append(orders, o)
				return true
			}
			return slices.Equal(o, orders[0])
		})
	}
	for id := range acked {
		if slices.Contains(cancelled, id) {
			continue
		}
		r, err := main.Events().Registration(ctx, id)
		if err != nil || r.Status != domain.EventRegistered {
			t.Fatalf("acknowledged seat %s taken back: %+v %v", id, r, err)
		}
	}
}

// TestDemoLibraryHasEvents: a fresh demo branchd lists its events on the
// public API, one of them full with a waitlist, one drop-in.
func TestDemoLibraryHasEvents(t *testing.T) {
	cfg := branchConfig(t, &logBuffer{})
	cfg.Demo = true
	n := nodetest.Start(t, cfg)
	var es []domain.Event
	if code := apiDo(t, "GET", "http://"+n.Addr()+"/api/v1/events", nil, &es); code != 200 || len(es) != len(node.DemoEventTitles()) {
		t.Fatalf("demo events: %d %+v", code, es)
	}
	var full, dropIn bool
	for _, e := range es {
		full = full || (e.SeatsFree == 0 && e.Waitlisted > 0)
		dropIn = dropIn || e.DropIn
	}
	if !full || !dropIn {
		t.Fatalf("no full event or no drop-in: %+v", es)
	}
}
