// Package session is what every screen of the staff TUI shares once staff
// have logged in: who is at the desk, which branch, the clock, the styles
// and the keymap. The API client is not part of it: each screen is given
// the client in its constructor.
package session

import (
	"time"

	"stacks/node/client"
	"stacks/tui/keymap"
	"stacks/tui/styles"
)

// Session is the logged-in desk.
type Session struct {
	Staff      client.Me
	BranchName string
	Styles     *styles.Styles
	Keys       *keymap.KeyMap
	// Now is the desk's clock; tests fix it.
	Now func() time.Time
}

// CanOverride reports whether the staff member may override refusals.
func (s *Session) CanOverride() bool { return s.Staff.CanOverride() }
