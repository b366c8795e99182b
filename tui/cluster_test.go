package tui_test

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/node/client/clienttest"
	"stacks/replicate/peersync"
	"stacks/tui/pages/cluster"
)

// TestSync: peers with lag and last contact, a conflict resolved from the
// queue; the status line says online while a peer synced recently.
func TestSync(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{Conflict: true})
	srv.SetPeers([]peersync.PeerStatus{
		{URL: "http://10.0.2.1:8080", Node: "2", LastSuccess: clienttest.Start.Add(-4 * time.Second),
			LastAttempt: clienttest.Start.Add(-4 * time.Second), OpsBehind: 0, OpsAhead: 3},
		{URL: "http://10.0.3.1:8080", Node: "3", LastSuccess: clienttest.Start.Add(-3 * time.Hour),
			LastAttempt: clienttest.Start.Add(-20 * time.Second), LastError: "dial tcp 10.0.3.1:8080: connect: no route to host", Errors: 41, OpsBehind: 12},
	})
	d := newDeskOn(t, srv, "", deskOpts{})
	d.login("super", "super")
	d.waitFor("online · synced 4s ago")
	d.key(tea.KeyF6)
	d.waitFor("Two patrons were registered with card number 21000000000009")
	d.runes("n")
	d.waitFor("new card: Two patrons")
	d.golden("sync_new_card", d.screen())
	d.key(tea.KeyEsc)
	d.runes("k")
	d.waitFor("Keep loan resolves double loans only.")
	d.runes("a")
	d.typeText("called both; Evan gets a new card at EAST")
	d.key(tea.KeyEnter)
	d.golden("sync_resolved", d.waitFor("Resolved: Two patrons", "Open conflicts (0)"))
}

// TestStatusOffline: no recent sync is shown as offline, without blocking.
func TestStatusOffline(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	srv.SetPeers([]peersync.PeerStatus{{URL: "http://10.0.2.1:8080", LastSuccess: clienttest.Start.Add(-3 * time.Hour),
		LastAttempt: clienttest.Start.Add(-time.Second), LastError: "timeout", Errors: 7}})
	d := newDeskOn(t, srv, "", deskOpts{})
	d.login("clerk", "clerk")
	d.waitFor("OFFLINE · last sync 3h ago · lending continues")
	d.scan("21000000000001")
	d.scan("B0001")
	d.waitFor("The Hobbit", "due 2025-03-24", "OFFLINE")
}

// TestApplianceGone: when the appliance stops answering, the status line
// says so, a scan says that nothing was recorded, and every screen still
// opens.
func TestApplianceGone(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	d := newDeskOn(t, srv, "clerk", deskOpts{refresh: 20 * time.Millisecond})
	d.scan("21000000000001")
	d.waitFor("Alice Archer")
	srv.Close()
	d.waitFor("APPLIANCE UNREACHABLE")
	d.scan("B0001")
	d.waitFor("✗ The appliance did not answer; try again.")
	d.key(tea.KeyF4)
	d.waitFor("The appliance did not answer")
}

// TestSyncLoadIsOneOp: loading the Sync screen reads no patron: the
// conflicts carry the patrons they name, so a load writes at most one
// audit op however many conflicts there are.
func TestSyncLoadIsOneOp(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{Conflict: true})
	s, c := loggedIn(t, srv, "super")
	m := cluster.New(s, c)
	m.SetSize(100, 30)
	before := opCount(t, srv)
	m.Update(m.Init()())
	if n := opCount(t, srv) - before; n > 1 {
		t.Fatalf("one load of the Sync screen wrote %d ops, want at most 1", n)
	}
	if v := m.View(); !strings.Contains(v, "none: this appliance is standalone (branchd --peer URL syncs it") {
		t.Fatalf("no peers is not explained:\n%s", v)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
	for _, want := range []string{"Evan Ellis (21000000000009, home MAIN)", "Erin Evans (21000000000009, home MAIN)"} {
		if v := m.View(); !strings.Contains(v, want) {
			t.Fatalf("the new card form does not show %q:\n%s", want, v)
		}
	}
}
