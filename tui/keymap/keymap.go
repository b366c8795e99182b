// Package keymap is the one keymap of the staff TUI.
//
// A barcode scanner types digits and letters followed by Enter, so every
// key that acts while a scan field has focus is a function key, Esc, an
// arrow or a Ctrl chord; plain letters act only on screens where no text
// field has focus.
package keymap

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds every binding.
type KeyMap struct {
	// Screens.
	Checkout, Checkin, Patrons, Holds, Catalogue, Sync key.Binding
	Logout, Quit                                       key.Binding
	// Verify opens the verification queue of self-registered patrons (a
	// screen outside the tab bar).
	Verify key.Binding
	// Events is today's events and ticket check-in (F8), a screen after
	// the tab bar's (the bar is full at 80 columns; it shows F8 while the
	// screen is open).
	Events key.Binding
	// HelpQueue opens the help requests screen (tui/pages/help), listed
	// in the help bar of every screen rather than the full tab bar.
	HelpQueue key.Binding
	// Feedback opens the survey results and answers (ctrl+f), a screen
	// outside the tab bar (which is full at 80 columns).
	Feedback key.Binding
	// PrintJobs opens the print jobs screen (the receipt printers' spool;
	// outside the tab bar, which is full at 80 columns).
	PrintJobs key.Binding

	// Moving and choosing.
	Up, Down, NextField, PrevField, Submit, Back, NextTab key.Binding

	// Scan screens.
	Override, Finish, Print, Dismiss key.Binding

	// Patrons.
	Search, Register, Edit, Block, RenewCard, Pay, Waive, RenewLoan, Resend key.Binding

	// Holds shelf, catalogue, sync.
	Refresh, Expire, PlaceHold                     key.Binding
	NextFormat, AvailableHere                      key.Binding
	Acknowledge, KeepLoan, NewCard, Refund, Choose key.Binding
}

// Default returns the desk's keymap.
func Default() *KeyMap {
	k := key.NewBinding
	return &KeyMap{
		Checkout:  k(key.WithKeys("f1"), key.WithHelp("F1", "checkout")),
		Checkin:   k(key.WithKeys("f2"), key.WithHelp("F2", "checkin")),
		Patrons:   k(key.WithKeys("f3"), key.WithHelp("F3", "patrons")),
		Holds:     k(key.WithKeys("f4"), key.WithHelp("F4", "holds shelf")),
		Catalogue: k(key.WithKeys("f5"), key.WithHelp("F5", "catalogue")),
		Sync:      k(key.WithKeys("f6"), key.WithHelp("F6", "sync")),
		Logout:    k(key.WithKeys("f12"), key.WithHelp("F12", "log out")),
		Verify:    k(key.WithKeys("f7"), key.WithHelp("F7", "verify registrations")),
		PrintJobs: k(key.WithKeys("f11"), key.WithHelp("F11", "print jobs")),
		Events:    k(key.WithKeys("f8"), key.WithHelp("F8", "events")),
		Quit:      k(key.WithKeys("f10", "ctrl+c"), key.WithHelp("F10", "quit")),
		HelpQueue: k(key.WithKeys("f9"), key.WithHelp("F9", "help requests")),
		Feedback:  k(key.WithKeys("ctrl+f"), key.WithHelp("^F", "feedback")),

		Up:        k(key.WithKeys("up"), key.WithHelp("↑/↓", "move")),
		Down:      k(key.WithKeys("down")),
		NextField: k(key.WithKeys("tab"), key.WithHelp("tab", "next field")),
		PrevField: k(key.WithKeys("shift+tab")),
		Submit:    k(key.WithKeys("enter"), key.WithHelp("enter", "ok")),
		Back:      k(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		NextTab:   k(key.WithKeys("tab"), key.WithHelp("tab", "tabs")),

		Override: k(key.WithKeys("ctrl+o"), key.WithHelp("^O", "override")),
		Finish:   k(key.WithKeys("esc"), key.WithHelp("esc", "finish")),
		Print:    k(key.WithKeys("p"), key.WithHelp("p", "print")),
		Dismiss:  k(key.WithKeys("esc"), key.WithHelp("esc", "dismiss")),

		Search:    k(key.WithKeys("/"), key.WithHelp("/", "search")),
		Register:  k(key.WithKeys("ctrl+n"), key.WithHelp("^N", "new patron")),
		Edit:      k(key.WithKeys("e"), key.WithHelp("e", "edit")),
		Block:     k(key.WithKeys("b"), key.WithHelp("b", "block")),
		RenewCard: k(key.WithKeys("c"), key.WithHelp("c", "renew card")),
		Pay:       k(key.WithKeys("p"), key.WithHelp("p", "pay")),
		Waive:     k(key.WithKeys("w"), key.WithHelp("w", "waive")),
		RenewLoan: k(key.WithKeys("r"), key.WithHelp("r", "renew loan")),
		Resend:    k(key.WithKeys("s"), key.WithHelp("s", "resend notice")),

		Refresh:   k(key.WithKeys("ctrl+r"), key.WithHelp("^R", "refresh")),
		Expire:    k(key.WithKeys("x"), key.WithHelp("x", "expire uncollected")),
		PlaceHold: k(key.WithKeys("h"), key.WithHelp("h", "place hold")),

		NextFormat:    k(key.WithKeys("f"), key.WithHelp("f", "format")),
		AvailableHere: k(key.WithKeys("a"), key.WithHelp("a", "on shelf here")),

		Acknowledge: k(key.WithKeys("a"), key.WithHelp("a", "acknowledge")),
		KeepLoan:    k(key.WithKeys("k"), key.WithHelp("k", "keep loan")),
		NewCard:     k(key.WithKeys("n"), key.WithHelp("n", "new card")),
		Refund:      k(key.WithKeys("f"), key.WithHelp("f", "refund")),
		Choose:      k(key.WithKeys("enter"), key.WithHelp("enter", "open")),
	}
}

// MoreScreens are the keys of the screens outside the tab bar, in the
// order of the desk's screens after the tabs (the line under the bar).
func (k *KeyMap) MoreScreens() []key.Binding {
	return []key.Binding{k.Events, k.HelpQueue, k.Feedback, k.PrintJobs}
}

// Screens are the screen keys in the order of the tabs.
func (k *KeyMap) Screens() []key.Binding {
	return []key.Binding{k.Checkout, k.Checkin, k.Patrons, k.Holds, k.Catalogue, k.Sync, k.Verify}
}
