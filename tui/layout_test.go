package tui_test

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestLayout: every screen fills the terminal exactly, never wider, at the
// desk's 80x24 and at a larger 120x40, and a resize takes effect at once.
func TestLayout(t *testing.T) {
	screens := []struct {
		key  tea.KeyType
		want string
	}{
		{tea.KeyF1, "scan or type the patron's card"},
		{tea.KeyF2, "scan items"},
		{tea.KeyF3, "Find patron:"},
		{tea.KeyF4, "Ready for pickup (1)"},
		{tea.KeyF5, "Search titles:"},
		{tea.KeyF6, "Open conflicts"},
	}
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		d := newDesk(t, "admin", deskOpts{w: size.w, h: size.h})
		for _, s := range screens {
			d.key(s.key)
			checkSize(t, d.waitFor(s.want), size.w, size.h)
		}
		// A patron with loans, holds and a fee, and a title with copies.
		d.key(tea.KeyF3)
		d.scan("21000000000002")
		checkSize(t, d.waitFor("Bob Baker", "Holds (2)"), size.w, size.h)
		d.key(tea.KeyF5)
		d.scan("*")
		checkSize(t, d.waitFor("copies available"), size.w, size.h)
		if size.w > 80 {
			d.golden("catalogue_120x40", d.screen())
		}
	}
	d := newDesk(t, "clerk", deskOpts{})
	d.tm.Send(tea.WindowSizeMsg{Width: 100, Height: 30})
	s := d.waitFor("Patron card")
	if lines := strings.Split(s, "\n"); len(lines) != 30 {
		t.Errorf("after resize: %d lines, want 30", len(lines))
	}
	checkSize(t, s, 100, 30)
}
