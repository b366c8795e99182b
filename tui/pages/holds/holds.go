// Package holds is the Holds shelf screen: holds ready for pickup at this
// branch, expired or cancelled ones whose items must come off the shelf
// (each row names its patron as the shelf carries it), items to pull
// from the open shelves for waiting holds, and the copies in transit to
// this branch (what the van should bring; scanning them in at Checkin
// receives them).
package holds

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/node/client"
	"stacks/tui/components/list"
	"stacks/tui/format"
	"stacks/tui/session"
)

// API is what the screen needs of the appliance.
type API interface {
	HoldShelf(ctx context.Context) (*domain.HoldShelf, error)
	ExpireHolds(ctx context.Context) ([]*domain.Hold, error)
}

var _ API = (*client.Client)(nil)

// ShelfLoadedMsg is the hold shelf, or why it could not be read.
type ShelfLoadedMsg struct {
	Shelf *domain.HoldShelf
	Err   error
}

// ExpiredMsg is the holds just expired by the sweep.
type ExpiredMsg struct {
	Holds []*domain.Hold
	Err   error
}

// Sections of the screen.
const (
	secReady = iota
	secClear
	secPull
	secIncoming
	nSections
)

// Model is the screen.
type Model struct {
	s       *session.Session
	api     API
	shelf   *domain.HoldShelf
	section int
	cursor  [nSections]int
	flash   string
	err     error
	loading bool
	w, h    int
}

// New returns the screen; api is the logged-in client.
func New(s *session.Session, api API) *Model {
	return &Model{s: s, api: api, w: 80, h: 20}
}

// Title names the screen.
func (m *Model) Title() string { return "Holds" }

// SetSize is the space the screen may draw in.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Init loads the shelf each time the screen is shown.
func (m *Model) Init() tea.Cmd { return m.load() }

// Help is the screen's keys.
func (m *Model) Help() []key.Binding {
	k := m.s.Keys
	return m.s.HelpKeys(session.Gated{Key: k.Up}, session.Gated{Key: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "section"))},
		session.Gated{Key: k.Refresh}, session.Gated{Key: k.Expire, Perm: domain.PermHoldsWrite})
}

func (m *Model) load() tea.Cmd {
	m.loading = true
	api := m.api
	return func() tea.Msg {
		s, err := api.HoldShelf(context.Background())
		return ShelfLoadedMsg{Shelf: s, Err: err}
	}
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	k := m.s.Keys
	switch msg := msg.(type) {
	case ShelfLoadedMsg:
		m.loading = false
		m.err = msg.Err
		if msg.Err == nil {
			m.shelf = msg.Shelf
			for i := range m.cursor {
				m.cursor[i] = min(m.cursor[i], max(0, m.count(i)-1))
			}
		}
	case ExpiredMsg:
		if msg.Err != nil {
			m.flash = format.Err(msg.Err)
			return nil
		}
		m.flash = fmt.Sprintf("%d hold(s) expired; their items are listed to clear.", len(msg.Holds))
		return m.load()
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, k.Refresh):
			m.flash = ""
			return m.load()
		case key.Matches(msg, k.Expire) && !m.s.Can(domain.PermHoldsWrite):
			m.flash = m.s.MayNot("clear the hold shelf")
		case key.Matches(msg, k.Expire):
			api := m.api
			return func() tea.Msg {
				hs, err := api.ExpireHolds(context.Background())
				return ExpiredMsg{Holds: hs, Err: err}
			}
		case msg.Type == tea.KeyTab:
			m.section = (m.section + 1) % nSections
		case msg.Type == tea.KeyShiftTab:
			m.section = (m.section + nSections - 1) % nSections
		case key.Matches(msg, k.Up):
			m.cursor[m.section] = list.Move(m.cursor[m.section], -1, m.count(m.section))
		case key.Matches(msg, k.Down):
			m.cursor[m.section] = list.Move(m.cursor[m.section], 1, m.count(m.section))
		}
	}
	return nil
}

func (m *Model) count(sec int) int {
	if m.shelf == nil {
		return 0
	}
	switch sec {
	case secReady:
		return len(m.shelf.Ready)
	case secClear:
		return len(m.shelf.ToClear)
	case secIncoming:
		return len(m.shelf.Incoming)
	}
	return len(m.shelf.ToPull)
}

// View draws the screen.
func (m *Model) View() string {
	st := m.s.Styles
	var sb strings.Builder
	sb.WriteString(st.Title.Render("Holds shelf") + st.Muted.Render(" · "+m.s.BranchName) + "\n")
	sb.WriteString(list.Status(st, m.err, m.flash, m.loading && m.shelf == nil))
	if m.shelf == nil {
		return sb.String()
	}
	// Share the lines between the sections that have rows.
	busy := 0
	for sec := range nSections {
		if m.count(sec) > 0 {
			busy++
		}
	}
	room := max(2, (m.h-2-nSections-(nSections-busy))/max(1, busy))
	titles := [nSections]string{
		fmt.Sprintf("Ready for pickup (%d)", len(m.shelf.Ready)),
		fmt.Sprintf("Take off the shelf: expired or cancelled (%d)", len(m.shelf.ToClear)),
		fmt.Sprintf("To pull for holds (%d)", len(m.shelf.ToPull)),
		fmt.Sprintf("In transit to here (%d)", len(m.shelf.Incoming)),
	}
	for sec := range nSections {
		ts := st.Label
		if sec == m.section {
			ts = st.ActiveTab
		}
		sb.WriteString(ts.Render(titles[sec]) + "\n")
		rows := m.rows(sec)
		if len(rows) == 0 {
			sb.WriteString(st.Muted.Render("  none") + "\n")
		}
		sb.WriteString(list.Window(st, rows, m.cursor[sec], room, m.w, sec == m.section))
	}
	return sb.String()
}

func (m *Model) rows(sec int) []string {
	tw := max(12, m.w/3)
	var out []string
	switch sec {
	case secReady:
		for _, h := range m.shelf.Ready {
			out = append(out, fmt.Sprintf("%s  until %s  %s", format.Pad(h.Title, tw), format.Date(h.ShelfExpires), name(h)))
		}
	case secClear:
		for _, h := range m.shelf.ToClear {
			// An expired hold's date is its last day on the shelf; a
			// cancelled one's is when its shelf time would have ended, so
			// it is not shown.
			why := h.Status
			if h.Status == domain.HoldExpired && h.ShelfExpires != "" {
				why += " " + format.Date(h.ShelfExpires)
			}
			out = append(out, fmt.Sprintf("%s  %s  %s", format.Pad(h.Title, tw), why, name(h)))
		}
	case secPull:
		for _, p := range m.shelf.ToPull {
			out = append(out, fmt.Sprintf("%s  %s  %s  → %s", format.Pad(p.Item.Barcode, 14), format.Pad(p.Item.CallNumber, 10),
				format.Pad(p.Item.Title, tw), p.Hold.PickupBranch))
		}
	case secIncoming:
		for _, it := range m.shelf.Incoming {
			out = append(out, fmt.Sprintf("%s  %s  %s  from %s", format.Pad(it.Barcode, 14), format.Pad(it.CallNumber, 10),
				format.Pad(it.Title, tw), it.Location))
		}
	}
	return out
}

// name is how a row names a hold's patron: as the shelf shows them and
// the card, both carried by the shelf itself (no patron is read to show
// it), or the end of the patron's ID when the appliance gave neither.
func name(h *domain.Hold) string {
	switch {
	case h.ShelfName != "" && h.Cardnumber != "":
		return h.ShelfName + " (" + h.Cardnumber + ")"
	case h.ShelfName != "":
		return h.ShelfName
	case h.Cardnumber != "":
		return "card " + h.Cardnumber
	case len(h.PatronID) > 8:
		return "patron …" + h.PatronID[len(h.PatronID)-8:]
	}
	return h.PatronID
}
