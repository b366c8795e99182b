// Package verify is the verification queue screen: patrons who registered
// themselves on the web, awaiting a check of their identity at the desk.
// Verifying one moves them into a category of the library's (lifting the
// self-registered category's limits); rejecting one blocks the card with
// the reason.
package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/node/client"
	"stacks/tui/components/form"
	"stacks/tui/components/list"
	"stacks/tui/components/modal"
	"stacks/tui/format"
	"stacks/tui/session"
)

// API is what the screen needs of the appliance.
type API interface {
	UnverifiedPatrons(ctx context.Context, max int) ([]*domain.Patron, error)
	VerifyPatron(ctx context.Context, id, category string) (*domain.Patron, error)
	BlockPatron(ctx context.Context, id, reason string) (*domain.Patron, error)
}

var _ API = (*client.Client)(nil)

// QueueLoadedMsg is the queue, or why it could not be read.
type QueueLoadedMsg struct {
	Patrons []*domain.Patron
	Err     error
}

// DoneMsg is a patron verified or rejected.
type DoneMsg struct {
	Patron   *domain.Patron
	Verified bool
	Err      error
}

// DefaultCategory is the category a verified patron joins unless staff
// type another.
const DefaultCategory = "ADULT"

// RejectPrefix starts the block reason of a rejected registration.
const RejectPrefix = "Self-registration rejected: "

var (
	verifyKey = key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "verify"))
	rejectKey = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "reject"))
)

// Model is the screen.
type Model struct {
	s       *session.Session
	api     API
	queue   []*domain.Patron
	cursor  int
	form    *form.Model
	action  string // "verify" or "reject", while the form is open
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
func (m *Model) Title() string { return "Verify" }

// SetSize is the space the screen may draw in.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Init loads the queue each time the screen is shown.
func (m *Model) Init() tea.Cmd { return m.load() }

// Help is the screen's keys.
func (m *Model) Help() []key.Binding {
	k := m.s.Keys
	if m.form != nil {
		return []key.Binding{k.Submit, k.Back}
	}
	return m.s.HelpKeys(session.Gated{Key: k.Up}, session.Gated{Key: verifyKey, Perm: domain.PermPatronsWrite},
		session.Gated{Key: rejectKey, Perm: domain.PermPatronsBlock}, session.Gated{Key: k.Refresh})
}

func (m *Model) load() tea.Cmd {
	m.loading = true
	api := m.api
	return func() tea.Msg {
		ps, err := api.UnverifiedPatrons(context.Background(), 200)
		return QueueLoadedMsg{Patrons: ps, Err: err}
	}
}

func (m *Model) selected() *domain.Patron {
	if m.cursor < len(m.queue) {
		return m.queue[m.cursor]
	}
	return nil
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	k := m.s.Keys
	switch msg := msg.(type) {
	case QueueLoadedMsg:
		m.loading = false
		m.err = msg.Err
		if msg.Err == nil {
			m.queue = msg.Patrons
			m.cursor = min(m.cursor, max(0, len(m.queue)-1))
		}
	case DoneMsg:
		if msg.Err != nil {
			m.flash = format.Err(msg.Err)
			return nil
		}
		if msg.Verified {
			m.flash = fmt.Sprintf("Verified %s %s (card %s): now %s.", msg.Patron.Firstname, msg.Patron.Surname, msg.Patron.Cardnumber, msg.Patron.Category)
		} else {
			m.flash = fmt.Sprintf("Rejected %s %s: card %s blocked.", msg.Patron.Firstname, msg.Patron.Surname, msg.Patron.Cardnumber)
		}
		return m.load()
	case tea.KeyMsg:
		if m.form != nil {
			return m.formKey(msg)
		}
		p := m.selected()
		switch {
		case key.Matches(msg, k.Refresh):
			m.flash = ""
			return m.load()
		case key.Matches(msg, k.Up):
			m.cursor = list.Move(m.cursor, -1, len(m.queue))
		case key.Matches(msg, k.Down):
			m.cursor = list.Move(m.cursor, 1, len(m.queue))
		case key.Matches(msg, verifyKey) && p != nil:
			if !m.s.Can(domain.PermPatronsWrite) {
				m.flash = m.s.MayNot("verify patrons")
				return nil
			}
			m.open("verify", fmt.Sprintf("Verify %s %s", p.Firstname, p.Surname),
				"Check an identity document first.", form.Field{Key: "category", Label: "Category", Value: DefaultCategory})
		case key.Matches(msg, rejectKey) && p != nil:
			if !m.s.Can(domain.PermPatronsBlock) {
				m.flash = m.s.MayNot("reject registrations")
				return nil
			}
			m.open("reject", fmt.Sprintf("Reject %s %s", p.Firstname, p.Surname),
				"The card is blocked with the reason.", form.Field{Key: "reason", Label: "Reason"})
		}
	}
	return nil
}

func (m *Model) open(action, title, note string, f form.Field) {
	m.action = action
	m.form = form.New(title, m.s.Styles, m.s.Keys, f)
	m.form.Note = note
	m.form.SetWidth(min(60, m.w-6))
}

func (m *Model) formKey(k tea.KeyMsg) tea.Cmd {
	res, cmd := m.form.Update(k)
	switch res {
	case form.Cancelled:
		m.form = nil
		return nil
	case form.Submitted:
	default:
		return cmd
	}
	p, api := m.selected(), m.api
	if p == nil {
		m.form = nil
		return nil
	}
	if m.action == "verify" {
		cat := strings.TrimSpace(m.form.Value("category"))
		if cat == "" {
			m.form.Err = "Type the category the patron joins."
			return nil
		}
		m.form = nil
		return func() tea.Msg {
			v, err := api.VerifyPatron(context.Background(), p.PatronID, cat)
			return DoneMsg{Patron: v, Verified: true, Err: err}
		}
	}
	reason := strings.TrimSpace(m.form.Value("reason"))
	if reason == "" {
		m.form.Err = "A rejection needs a reason."
		return nil
	}
	m.form = nil
	return func() tea.Msg {
		v, err := api.BlockPatron(context.Background(), p.PatronID, RejectPrefix+reason)
		return DoneMsg{Patron: v, Err: err}
	}
}

// View draws the screen.
func (m *Model) View() string {
	st := m.s.Styles
	var sb strings.Builder
	sb.WriteString(st.Title.Render(fmt.Sprintf("Self-registrations to verify (%d)", len(m.queue))) + st.Muted.Render(" · registered, name, card, birth date, contact, address") + "\n")
	sb.WriteString(list.Status(st, m.err, m.flash, m.loading && m.queue == nil))
	if len(m.queue) == 0 && !m.loading {
		sb.WriteString(st.Muted.Render("  Nobody is waiting.") + "\n")
	}
	rows := make([]string, len(m.queue))
	for i, p := range m.queue {
		contact := p.Email
		if contact == "" {
			contact = p.Phone
		}
		rows[i] = fmt.Sprintf("%s  %s  %s  born %s  %s  %s", format.Date(p.RegisteredAt), format.Pad(p.Surname+", "+p.Firstname, 20),
			p.Cardnumber, format.Date(p.DateOfBirth), format.Pad(contact, 20), p.Address)
	}
	sb.WriteString(list.Window(st, rows, m.cursor, max(1, m.h-4), m.w, true))
	out := sb.String()
	if m.form != nil {
		return modal.Overlay(out, modal.Box(st.Modal, m.form.View(), m.w-2), m.w, m.h)
	}
	return out
}
