// Package cluster is the Sync screen: the appliance's peers (central nodes
// and other branches) with lag and last contact, and the conflicts queue
// with its resolution actions.
package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/node/client"
	"stacks/tui/components/form"
	"stacks/tui/components/modal"
	"stacks/tui/format"
	"stacks/tui/session"
)

// API is what the screen needs of the appliance.
type API interface {
	Peers(ctx context.Context) ([]apitype.PeerStatus, error)
	Conflicts(ctx context.Context, status string) ([]*domain.Conflict, error)
	ResolveConflict(ctx context.Context, id string, r domain.Resolution) (*domain.Conflict, error)
}

var _ API = (*client.Client)(nil)

// LoadedMsg is the peers and open conflicts, or why they could not be read.
type LoadedMsg struct {
	Peers     []apitype.PeerStatus
	Conflicts []*domain.Conflict
	Err       error
}

// ResolvedMsg is the answer to a resolution.
type ResolvedMsg struct {
	Conflict *domain.Conflict
	Err      error
}

// details are the fields of a conflict's details the actions need.
type details struct {
	Checkouts []struct {
		LoanID   string `json:"checkout_id"`
		PatronID string `json:"patron_id"`
		Branch   string `json:"library_id"`
		IssuedAt string `json:"checkout_date"`
		Returned string `json:"checkin_date"`
	} `json:"checkouts"`
	PatronIDs []string `json:"patron_ids"`
}

// Model is the screen.
type Model struct {
	s         *session.Session
	api       API
	peers     []apitype.PeerStatus
	conflicts []*domain.Conflict
	cursor    int
	loaded    bool
	err       error
	flash     string
	flashErr  bool

	form    *form.Model
	action  string
	choices []string
	w, h    int
}

// New returns the screen; api is the logged-in client.
func New(s *session.Session, api API) *Model { return &Model{s: s, api: api, w: 80, h: 20} }

// Title names the screen.
func (m *Model) Title() string { return "Sync" }

// SetSize is the space the screen may draw in.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Init loads peers and conflicts each time the screen is shown.
func (m *Model) Init() tea.Cmd { return m.load() }

// Help is the screen's keys.
func (m *Model) Help() []key.Binding {
	k := m.s.Keys
	if m.form != nil {
		return []key.Binding{k.Submit, k.Back}
	}
	if !m.s.Can(domain.PermConflictsResolve) {
		return []key.Binding{k.Up, k.Refresh}
	}
	return []key.Binding{k.Up, k.Acknowledge, k.KeepLoan, k.NewCard, k.Refund, k.Refresh}
}

func (m *Model) load() tea.Cmd {
	api := m.api
	return func() tea.Msg {
		ctx := context.Background()
		ps, err := api.Peers(ctx)
		if err != nil {
			return LoadedMsg{Err: err}
		}
		cs, err := api.Conflicts(ctx, "open")
		if err != nil {
			return LoadedMsg{Err: err}
		}
		return LoadedMsg{Peers: ps, Conflicts: cs}
	}
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case LoadedMsg:
		m.loaded, m.err = true, msg.Err
		if msg.Err == nil {
			m.peers, m.conflicts = msg.Peers, msg.Conflicts
			m.cursor = min(m.cursor, max(0, len(m.conflicts)-1))
		}
	case ResolvedMsg:
		if msg.Err != nil {
			m.flash, m.flashErr = format.Err(msg.Err), true
			return nil
		}
		m.flash, m.flashErr = "Resolved: "+msg.Conflict.Summary, false
		return m.load()
	case tea.KeyMsg:
		return m.key(msg)
	}
	return nil
}

func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	keys := m.s.Keys
	if m.form != nil {
		res, cmd := m.form.Update(k)
		switch res {
		case form.Cancelled:
			m.form = nil
		case form.Submitted:
			return m.submit()
		}
		return cmd
	}
	switch {
	case key.Matches(k, keys.Refresh):
		m.flash = ""
		return m.load()
	case key.Matches(k, keys.Up):
		m.cursor = max(0, m.cursor-1)
	case key.Matches(k, keys.Down):
		m.cursor = min(max(0, len(m.conflicts)-1), m.cursor+1)
	case !m.s.Can(domain.PermConflictsResolve) && (key.Matches(k, keys.Acknowledge) || key.Matches(k, keys.KeepLoan) ||
		key.Matches(k, keys.NewCard) || key.Matches(k, keys.Refund)):
		m.flash, m.flashErr = m.s.MayNot("resolve conflicts"), true
	case key.Matches(k, keys.Acknowledge):
		m.open(domain.ActionAcknowledge)
	case key.Matches(k, keys.KeepLoan):
		m.open(domain.ActionKeepLoan)
	case key.Matches(k, keys.NewCard):
		m.open(domain.ActionNewCard)
	case key.Matches(k, keys.Refund):
		m.open(domain.ActionRefund)
	}
	return nil
}

// open starts the form of a resolution of the selected conflict.
func (m *Model) open(action string) {
	if len(m.conflicts) == 0 {
		m.flash, m.flashErr = "There is no open conflict.", true
		return
	}
	c := m.conflicts[m.cursor]
	var d details
	json.Unmarshal(c.Details, &d)
	m.action, m.choices = action, nil
	var note []string
	fields := []form.Field{}
	switch action {
	case domain.ActionAcknowledge:
		fields = append(fields, form.Field{Key: "note", Label: "Note", Hint: "what was done (required)"})
	case domain.ActionKeepLoan:
		if c.Kind != domain.ConflictDoubleLoan {
			m.flash, m.flashErr = "Keep loan resolves double loans only.", true
			return
		}
		for i, l := range d.Checkouts {
			m.choices = append(m.choices, l.LoanID)
			state := "open"
			if l.Returned != "" {
				state = "returned " + format.Date(l.Returned)
			}
			note = append(note, fmt.Sprintf("%d) lent at %s on %s to %s, %s", i+1, l.Branch, format.Date(l.IssuedAt), name(c, l.PatronID), state))
		}
		fields = append(fields, form.Field{Key: "choice", Label: "Keep loan", Hint: "number"},
			form.Field{Key: "note", Label: "Note", Hint: "optional"})
	case domain.ActionNewCard:
		if c.Kind != domain.ConflictDuplicateCard {
			m.flash, m.flashErr = "New card resolves duplicate card numbers only.", true
			return
		}
		for i, id := range d.PatronIDs {
			m.choices = append(m.choices, id)
			note = append(note, fmt.Sprintf("%d) %s", i+1, name(c, id)))
		}
		fields = append(fields, form.Field{Key: "choice", Label: "New card for", Hint: "number"},
			form.Field{Key: "note", Label: "Note", Hint: "optional"})
	case domain.ActionRefund:
		if c.Kind != domain.ConflictOverpayment {
			m.flash, m.flashErr = "Refund resolves overpayments only.", true
			return
		}
		fields = append(fields, form.Field{Key: "method", Label: "Paid back by", Value: "cash"},
			form.Field{Key: "note", Label: "Note", Hint: "optional"})
	}
	m.form = form.New(strings.ReplaceAll(action, "_", " ")+": "+c.Summary, m.s.Styles, m.s.Keys, fields...)
	m.form.Note = strings.Join(note, "\n")
	m.form.SetWidth(min(64, m.w-6))
}

// name is a patron the conflict names: name, card and home branch as the
// conflict carries them (no patron is read to show them), or the end of
// the ID.
func name(c *domain.Conflict, id string) string {
	for _, p := range c.Patrons {
		if p.PatronID == id && p.Name != "" {
			return p.Name + " (" + p.Cardnumber + ", home " + p.HomeBranch + ")"
		}
	}
	if len(id) > 8 {
		return "patron …" + id[len(id)-8:]
	}
	return "patron " + id
}

func (m *Model) submit() tea.Cmd {
	f := m.form
	r := domain.Resolution{Action: m.action, Note: f.Value("note")}
	if m.action == domain.ActionAcknowledge && r.Note == "" {
		f.Err = "Say in a note what was done."
		return nil
	}
	if len(m.choices) > 0 {
		n, err := strconv.Atoi(f.Value("choice"))
		if err != nil || n < 1 || n > len(m.choices) {
			f.Err = fmt.Sprintf("Choose 1 to %d.", len(m.choices))
			return nil
		}
		if m.action == domain.ActionKeepLoan {
			r.LoanID = m.choices[n-1]
		} else {
			r.PatronID = m.choices[n-1]
		}
	}
	if m.action == domain.ActionRefund {
		r.Method = f.Value("method")
	}
	id, api := m.conflicts[m.cursor].ConflictID, m.api
	m.form = nil
	return func() tea.Msg {
		c, err := api.ResolveConflict(context.Background(), id, r)
		return ResolvedMsg{Conflict: c, Err: err}
	}
}

// View draws the screen.
func (m *Model) View() string {
	st := m.s.Styles
	var sb strings.Builder
	sb.WriteString(st.Title.Render("Sync") + st.Muted.Render(" · peers (central and other branches) and the conflicts queue") + "\n")
	switch {
	case m.err != nil:
		sb.WriteString(st.Error.Render(format.Err(m.err)) + "\n")
	case m.flash != "" && m.flashErr:
		sb.WriteString(st.Error.Render(format.Truncate(m.flash, m.w)) + "\n")
	case m.flash != "":
		sb.WriteString(st.OK.Render(format.Truncate(m.flash, m.w)) + "\n")
	default:
		sb.WriteString("\n")
	}
	if !m.loaded {
		return sb.String() + st.Muted.Render("Loading…")
	}
	now := m.s.Now()
	sb.WriteString(st.Label.Render("Peers") + "\n")
	if len(m.peers) == 0 {
		sb.WriteString(st.Muted.Render("  none: this appliance is standalone (branchd --peer URL syncs it with central or another branch)") + "\n")
	}
	uw := max(16, m.w-58)
	if len(m.peers) > 0 {
		sb.WriteString(st.Muted.Render("  "+format.Pad("peer", uw)+"  last contact  last sync   behind  ahead  errors") + "\n")
	}
	for _, p := range m.peers {
		row := fmt.Sprintf("  %s  %s  %s  %6d  %5d  %6d", format.Pad(p.URL, uw), format.Pad(format.Ago(now, p.LastAttempt), 12),
			format.Pad(format.Ago(now, p.LastSuccess), 10), p.OpsBehind, p.OpsAhead, p.Errors)
		sb.WriteString(row + "\n")
		if p.LastError != "" && p.LastAttempt.After(p.LastSuccess) {
			sb.WriteString("    " + st.Error.Render(format.Truncate("last error: "+p.LastError, m.w-4)) + "\n")
		}
	}
	sb.WriteString("\n" + st.Label.Render(fmt.Sprintf("Open conflicts (%d)", len(m.conflicts))) + "\n")
	if len(m.conflicts) == 0 {
		sb.WriteString(st.Muted.Render("  none") + "\n")
	}
	room := max(3, m.h-strings.Count(sb.String(), "\n")-1)
	start := max(0, min(m.cursor-room+1, len(m.conflicts)-room))
	for i := start; i < len(m.conflicts) && i < start+room; i++ {
		c := m.conflicts[i]
		row := format.Pad(format.Pad(c.Kind, 14)+"  "+c.Summary, m.w-2)
		if i == m.cursor {
			row = st.Selected.Render(row)
		}
		sb.WriteString("  " + row + "\n")
	}
	out := sb.String()
	if m.form != nil {
		return modal.Overlay(out, modal.Box(st.Modal, m.form.View(), m.w-2), m.w, m.h)
	}
	return out
}
