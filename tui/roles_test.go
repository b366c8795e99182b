package tui_test

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/node/client/clienttest"
)

// TestClerkMayNotWaive: a circulation clerk's patron screen offers no
// waiver or block, and asking for one anyway says the role may not; a
// supervisor's offers both.
func TestClerkMayNotWaive(t *testing.T) {
	open := func(user string) *desk {
		d := newDesk(t, user, deskOpts{})
		d.key(tea.KeyF3)
		d.scan("21000000000002")
		d.waitFor("Bob Baker", "Loans (0)")
		return d
	}
	clerk := open("clerk")
	s := clerk.screen()
	if help := helpBar(s); strings.Contains(help, "waive") || strings.Contains(help, "block") || !strings.Contains(help, "pay") {
		t.Errorf("the clerk's help bar: %q", help)
	}
	clerk.runes("w")
	clerk.waitFor("Your role (circulation) may not waive fees")
	clerk.runes("b")
	clerk.waitFor("Your role (circulation) may not block or unblock patrons")

	super := open("super")
	if help := helpBar(super.screen()); !strings.Contains(help, "w waive") || !strings.Contains(help, "b block") {
		t.Errorf("the supervisor's help bar: %q", help)
	}
	super.runes("w")
	super.waitFor("Waive fees of Bob Baker")
}

// TestClerkMayNotResolveConflicts: the sync screen lists conflicts to a
// clerk but resolving one is a supervisor's.
func TestClerkMayNotResolveConflicts(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{server: clienttest.Options{Conflict: true}})
	d.key(tea.KeyF6)
	d.waitFor("Two patrons were registered with card number 21000000000009")
	if help := helpBar(d.screen()); strings.Contains(help, "acknowledge") {
		t.Errorf("the clerk's help bar: %q", help)
	}
	d.runes("a")
	d.waitFor("Your role (circulation) may not resolve conflicts")
}

// helpBar is the screen's help line, above the status line.
func helpBar(screen string) string {
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	if len(lines) < 2 {
		return ""
	}
	return lines[len(lines)-2]
}
