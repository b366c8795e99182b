// Package holds is the Holds shelf screen: holds ready for pickup at this
// branch, expired ones whose items must come off the shelf, items to pull
// from the open shelves for waiting holds, and the copies in transit to
// this branch (what the van should bring; scanning them in at Checkin
// receives them).
package holds

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch"
	"stacks/node/client"
	"stacks/tui/format"
	"stacks/tui/session"
)

// API is what the screen needs of the appliance.
type API interface {
	HoldShelf(ctx context.Context) (*branch.HoldShelf, error)
	ExpireHolds(ctx context.Context) ([]*branch.Hold, error)
	Patron(ctx context.Context, id string) (*branch.Patron, error)
}

var _ API = (*client.Client)(nil)

// ShelfLoadedMsg is the hold shelf, or why it could not be read.
type ShelfLoadedMsg struct {
	Shelf *branch.HoldShelf
	// Names are the patrons of the holds by ID: the shelf names patrons
	// by ID only, so the screen looks them up.
	Names map[string]string
	Err   error
}

// ExpiredMsg is the holds just expired by the sweep.
type ExpiredMsg struct {
	Holds []*branch.Hold
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
	shelf   *branch.HoldShelf
	names   map[string]string
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
		session.Gated{Key: k.Refresh}, session.Gated{Key: k.Expire, Perm: branch.PermHoldsWrite})
}

func (m *Model) load() tea.Cmd {
	m.loading = true
	api := m.api
	return func() tea.Msg {
		ctx := context.Background()
		s, err := api.HoldShelf(ctx)
		if err != nil {
			return ShelfLoadedMsg{Err: err}
		}
		return ShelfLoadedMsg{Shelf: s, Names: patronNames(ctx, api, s)}
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
			m.shelf, m.names = msg.Shelf, msg.Names
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
		case key.Matches(msg, k.Expire) && !m.s.Can(branch.PermHoldsWrite):
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
			m.cursor[m.section] = max(0, m.cursor[m.section]-1)
		case key.Matches(msg, k.Down):
			m.cursor[m.section] = min(max(0, m.count(m.section)-1), m.cursor[m.section]+1)
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
	switch {
	case m.err != nil:
		sb.WriteString(st.Error.Render(format.Err(m.err)) + "\n")
	case m.flash != "":
		sb.WriteString(st.OK.Render(m.flash) + "\n")
	case m.loading && m.shelf == nil:
		sb.WriteString(st.Muted.Render("Loading…") + "\n")
	default:
		sb.WriteString("\n")
	}
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
		fmt.Sprintf("Expired: take off the shelf (%d)", len(m.shelf.ToClear)),
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
		start := max(0, min(m.cursor[sec]-room+1, len(rows)-room))
		for i := start; i < len(rows) && i < start+room; i++ {
			r := format.Pad(rows[i], m.w-2)
			if sec == m.section && i == m.cursor[sec] {
				r = st.Selected.Render(r)
			}
			sb.WriteString("  " + r + "\n")
		}
	}
	return sb.String()
}

func (m *Model) rows(sec int) []string {
	tw := max(12, m.w/3)
	var out []string
	switch sec {
	case secReady:
		for _, h := range m.shelf.Ready {
			out = append(out, fmt.Sprintf("%s  until %s  %s", format.Pad(h.Title, tw), format.Date(h.ShelfExpires), m.name(h.PatronID)))
		}
	case secClear:
		for _, h := range m.shelf.ToClear {
			out = append(out, fmt.Sprintf("%s  %s since %s  %s", format.Pad(h.Title, tw), h.Status, format.Date(h.ShelfExpires), m.name(h.PatronID)))
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

// maxNames bounds the patron look-ups of one shelf load.
const maxNames = 200

// patronNames looks up the names of the shelf's patrons, a few at a time.
func patronNames(ctx context.Context, api API, s *branch.HoldShelf) map[string]string {
	var ids []string
	seen := map[string]bool{}
	add := func(h *branch.Hold) {
		if h != nil && !seen[h.PatronID] && len(ids) < maxNames {
			seen[h.PatronID] = true
			ids = append(ids, h.PatronID)
		}
	}
	for _, h := range s.Ready {
		add(h)
	}
	for _, h := range s.ToClear {
		add(h)
	}
	names := make(map[string]string, len(ids))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if p, err := api.Patron(ctx, id); err == nil {
				mu.Lock()
				names[id] = p.Name() + " (" + p.Cardnumber + ")"
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return names
}

// name is a patron's name, or the end of the ID if it could not be read.
func (m *Model) name(id string) string {
	if n := m.names[id]; n != "" {
		return n
	}
	if len(id) > 8 {
		return "patron …" + id[len(id)-8:]
	}
	return id
}
