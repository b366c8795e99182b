// Package session is what every screen of the staff TUI shares once staff
// have logged in: who is at the desk, which branch, the clock, the styles
// and the keymap. The API client is not part of it: each screen is given
// the client in its constructor.
package session

import (
	"time"

	"github.com/charmbracelet/bubbles/key"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/tui/keymap"
	"stacks/tui/styles"
)

// Session is the logged-in desk.
type Session struct {
	Staff      apitype.Me
	BranchName string
	Styles     *styles.Styles
	Keys       *keymap.KeyMap
	// Now is the desk's clock; tests fix it.
	Now func() time.Time
}

// CanOverride reports whether the staff member may override refusals.
func (s *Session) CanOverride() bool { return s.Staff.CanOverride() }

// Can reports whether the staff member's role may do what perm names, as
// the appliance said at login. Screens hide the actions it may not do;
// the appliance refuses them anyway.
func (s *Session) Can(perm domain.Permission) bool { return s.Staff.Can(perm) }

// MayNot is the message shown when someone asks for an action their role
// may not do, e.g. "Your role (circulation) may not waive fees."
func (s *Session) MayNot(what string) string {
	return "Your role (" + s.Staff.Role + ") may not " + what + "."
}

// Gated is a key binding that needs a permission.
type Gated struct {
	Key  key.Binding
	Perm domain.Permission
}

// HelpKeys returns the bindings the role may use, in order, for a help bar.
func (s *Session) HelpKeys(gs ...Gated) []key.Binding {
	var out []key.Binding
	for _, g := range gs {
		if g.Perm == "" || s.Can(g.Perm) {
			out = append(out, g.Key)
		}
	}
	return out
}
