package tui_test

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/node/client"
	"stacks/node/client/clienttest"
	"stacks/tui/keymap"
	"stacks/tui/pages/holds"
	"stacks/tui/session"
	"stacks/tui/styles"
)

// TestHoldsShelf: ready holds with their patrons, an expired hold to
// clear, and an item to pull for a hold at another branch.
func TestHoldsShelf(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{})
	d.key(tea.KeyF4)
	d.golden("holds_shelf", d.waitFor("Moby Dick", "Baker, B. (21000000000002)", "Archer, A."))
	d.runes("x")
	d.waitFor("0 hold(s) expired")
}

// TestHoldsShelfRefreshIsOneOp: showing and refreshing the shelf makes one
// API call; the shelf carries its patrons' names, so no patron is read
// (each read is audited, and an audit record is a replicated op: a
// refresh must not write one op per hold).
func TestHoldsShelfRefreshIsOneOp(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	s, c := loggedIn(t, srv, "clerk")
	m := holds.New(s, c)
	m.SetSize(100, 30)
	run := func(cmd tea.Cmd) {
		t.Helper()
		before := opCount(t, srv)
		if cmd == nil {
			t.Fatal("no load")
		}
		m.Update(cmd())
		if n := opCount(t, srv) - before; n > 1 {
			t.Fatalf("one shelf load wrote %d ops, want at most 1", n)
		}
		for _, want := range []string{"Baker, B. (21000000000002)", "Archer, A. (21000000000001)"} {
			if v := m.View(); !strings.Contains(v, want) {
				t.Fatalf("the shelf does not show %q:\n%s", want, v)
			}
		}
	}
	run(m.Init())
	run(m.Update(tea.KeyMsg{Type: tea.KeyCtrlR}))
}

// loggedIn is a session and client of user (password = user) for testing
// one screen on its own.
func loggedIn(t *testing.T, srv *clienttest.Server, user string) (*session.Session, *client.Client) {
	t.Helper()
	c, err := client.New(client.Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err = c.Login(context.Background(), user, user)
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := &session.Session{Staff: *me, BranchName: "Main Library", Styles: styles.Default(), Keys: keymap.Default(),
		Now: srv.Clock.Now}
	return s, c
}

// opCount is how many ops the appliance's log holds.
func opCount(t *testing.T, srv *clienttest.Server) uint64 {
	t.Helper()
	vv, err := srv.Service.Log().VersionVector(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, c := range vv {
		n += c
	}
	return n
}

// TestHoldsIncoming: a copy sent home from EAST is listed as in transit
// here; scanning it in at Checkin receives it and it leaves the list.
func TestHoldsIncoming(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{server: clienttest.Options{Incoming: true}})
	d.key(tea.KeyF4)
	d.golden("holds_incoming", d.waitFor("In transit to here (1)", "B0001", "The Hobbit", "from EAST"))
	d.key(tea.KeyF2)
	d.waitFor("Item barcode:")
	d.scan("B0001")
	d.waitFor(" 1  B0001", "shelve")
	d.key(tea.KeyF4)
	d.waitFor("In transit to here (0)")
}
