// Package events is the Events screen (F8): today's events at this
// branch with their seats, waitlist and attendance, the registrations of
// the one chosen, and a scan field that checks event tickets in (once: a
// second scan says "already checked in"). Tab moves between the events
// and the chosen event's registrations; ^P prints the chosen
// registration's ticket with its QR code on the branch's printer.
package events

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/node/client"
	"stacks/tui/components/scanner"
	"stacks/tui/format"
	"stacks/tui/session"
)

// API is what the screen needs of the appliance.
type API interface {
	Events(ctx context.Context, f client.EventFilter) ([]*domain.Event, error)
	EventRegistrations(ctx context.Context, eventID string) ([]*domain.EventRegistration, error)
	CheckinTicket(ctx context.Context, eventID, ticket string) (*domain.EventCheckin, error)
	PrintReceipt(ctx context.Context, patronID string, req apitype.ReceiptRequest) (*apitype.PrintJob, error)
}

var (
	focusKey = key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "events/registrations"))
	printKey = key.NewBinding(key.WithKeys("ctrl+p"), key.WithHelp("^P", "print ticket"))
)

// TicketQueuedMsg is a ticket sent to the printer, or why not.
type TicketQueuedMsg struct {
	Name string
	Job  *apitype.PrintJob
	Err  error
}

var _ API = (*client.Client)(nil)

// LoadedMsg is today's events.
type LoadedMsg struct {
	Events []*domain.Event
	Err    error
}

// RegistrationsMsg is the chosen event's registrations.
type RegistrationsMsg struct {
	EventID string
	Regs    []*domain.EventRegistration
	Err     error
}

// CheckedInMsg is the answer to one ticket scanned.
type CheckedInMsg struct {
	Ticket string
	Result *domain.EventCheckin
	Err    error
}

type line struct {
	ticket string
	res    *domain.EventCheckin
	err    error
}

// Model is the screen.
type Model struct {
	s      *session.Session
	api    API
	scan   *scanner.Model
	events []*domain.Event
	sel    int
	regs   []*domain.EventRegistration
	// inRegs: the cursor is on the registrations (regSel), not the
	// events.
	inRegs bool
	regSel int
	flash  string
	lines  []line
	err    error
	w, h   int
}

// New returns the screen; api is the logged-in client.
func New(s *session.Session, api API) *Model {
	sc := scanner.New("Ticket:")
	sc.PromptStyle, sc.MutedStyle = s.Styles.Label, s.Styles.Muted
	return &Model{s: s, api: api, scan: sc, w: 80, h: 20}
}

// Title names the screen.
func (m *Model) Title() string { return "Events" }

// SetSize is the space the screen may draw in.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Init loads today's events at this branch.
func (m *Model) Init() tea.Cmd {
	api, branch, now := m.api, m.s.Staff.Branch, m.s.Now()
	return func() tea.Msg {
		day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
		es, err := api.Events(context.Background(), client.EventFilter{LibraryID: branch, From: day.Format(time.RFC3339),
			To: day.AddDate(0, 0, 1).Format(time.RFC3339)})
		return LoadedMsg{Events: es, Err: err}
	}
}

// Help is the screen's keys.
func (m *Model) Help() []key.Binding {
	return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("scan", "ticket")), m.s.Keys.Up, focusKey, printKey, m.s.Keys.Refresh}
}

func (m *Model) loadRegs() tea.Cmd {
	if m.sel >= len(m.events) {
		return nil
	}
	api, id := m.api, m.events[m.sel].EventID
	return func() tea.Msg {
		rs, err := api.EventRegistrations(context.Background(), id)
		return RegistrationsMsg{EventID: id, Regs: rs, Err: err}
	}
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case LoadedMsg:
		m.events, m.err = msg.Events, msg.Err
		if m.sel >= len(m.events) {
			m.sel = 0
		}
		return m.loadRegs()
	case RegistrationsMsg:
		if m.sel < len(m.events) && m.events[m.sel].EventID == msg.EventID {
			m.regs = msg.Regs
			m.regSel = min(m.regSel, max(0, len(m.regs)-1))
			if msg.Err != nil {
				m.err = msg.Err
			}
		}
	case CheckedInMsg:
		m.scan.Done()
		m.lines = append(m.lines, line{ticket: msg.Ticket, res: msg.Result, err: msg.Err})
		return tea.Batch(m.pump(), m.Init())
	case TicketQueuedMsg:
		if msg.Err != nil {
			m.flash = "Ticket not printed: " + format.Err(msg.Err)
		} else {
			m.flash = fmt.Sprintf("Ticket of %s sent to printer %s (job %d).", msg.Name, msg.Job.Printer, msg.Job.ID)
		}
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, m.s.Keys.Refresh):
			return m.Init()
		case key.Matches(msg, focusKey) && !m.scan.Typing():
			m.inRegs = !m.inRegs && len(m.regs) > 0
			return nil
		case key.Matches(msg, printKey):
			return m.printTicket()
		case m.inRegs && key.Matches(msg, m.s.Keys.Up) && !m.scan.Typing():
			m.regSel = max(0, m.regSel-1)
			return nil
		case m.inRegs && key.Matches(msg, m.s.Keys.Down) && !m.scan.Typing():
			m.regSel = min(max(0, len(m.regs)-1), m.regSel+1)
			return nil
		case key.Matches(msg, m.s.Keys.Up) && !m.scan.Typing():
			if m.sel > 0 {
				m.sel--
				return m.loadRegs()
			}
			return nil
		case key.Matches(msg, m.s.Keys.Down) && !m.scan.Typing():
			if m.sel+1 < len(m.events) {
				m.sel++
				return m.loadRegs()
			}
			return nil
		}
		if m.scan.Update(msg) {
			return m.pump()
		}
	}
	return nil
}

// printTicket asks the appliance to print the chosen registration's
// ticket.
func (m *Model) printTicket() tea.Cmd {
	if !m.inRegs || m.regSel >= len(m.regs) {
		m.flash = "Choose a registration first (tab, then ↑/↓)."
		return nil
	}
	r, api := m.regs[m.regSel], m.api
	return func() tea.Msg {
		j, err := api.PrintReceipt(context.Background(), r.PatronID, apitype.ReceiptRequest{Kind: apitype.ReceiptTicket, RegistrationID: r.RegistrationID})
		return TicketQueuedMsg{Name: r.PatronName, Job: j, Err: err}
	}
}

func (m *Model) pump() tea.Cmd {
	t, ok := m.scan.Next()
	if !ok {
		return nil
	}
	api := m.api
	return func() tea.Msg {
		res, err := api.CheckinTicket(context.Background(), "", t)
		return CheckedInMsg{Ticket: t, Result: res, Err: err}
	}
}

func localTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.Local().Format("15:04")
}

// View draws the screen.
func (m *Model) View() string {
	st := m.s.Styles
	var sb strings.Builder
	sb.WriteString(st.Title.Render("Events") + st.Muted.Render(" · today at "+m.s.Staff.Branch+"; scan a ticket to check it in") + "\n\n")
	sb.WriteString(m.scan.View() + "\n\n")
	for i, l := range m.lines {
		if i < len(m.lines)-4 {
			continue
		}
		switch {
		case l.err != nil:
			sb.WriteString(st.Error.Render(format.Truncate("✗ "+format.Err(l.err), m.w)) + "\n")
		case l.res.Already:
			sb.WriteString(st.Warn.Render(format.Truncate(fmt.Sprintf("already checked in: %s, %s", l.res.Registration.PatronName, eventTitle(l.res.Registration)), m.w)) + "\n")
		default:
			sb.WriteString(st.OK.Render(format.Truncate(fmt.Sprintf("✓ checked in: %s (%d) for %s", l.res.Registration.PatronName, l.res.Registration.Seats, eventTitle(l.res.Registration)), m.w)) + "\n")
		}
	}
	if m.err != nil {
		sb.WriteString(st.Error.Render(format.Err(m.err)) + "\n")
	}
	if m.flash != "" {
		sb.WriteString(format.Truncate(m.flash, m.w) + "\n")
	}
	if len(m.events) == 0 {
		sb.WriteString(st.Muted.Render("No events today at this branch.") + "\n")
		return sb.String()
	}
	sb.WriteString("\n")
	for i, e := range m.events {
		mark := "  "
		if i == m.sel {
			mark = "▸ "
			if m.inRegs {
				mark = "▹ "
			}
		}
		seats := "drop-in"
		if !e.DropIn {
			seats = fmt.Sprintf("%d/%d seats, %d waiting", e.SeatsTaken, e.Capacity, e.Waitlisted)
		}
		sb.WriteString(format.Truncate(fmt.Sprintf("%s%s–%s  %s  %s · checked in %d (%d people)", mark, localTime(e.Start), localTime(e.End),
			e.Title, seats, e.CheckedIn, e.Attendance), m.w) + "\n")
	}
	sb.WriteString("\n")
	for i, r := range m.regs {
		mark := "    "
		if m.inRegs && i == m.regSel {
			mark = "  ▸ "
		}
		state := r.Status
		if r.CheckedIn != "" {
			state = "checked in"
		} else if r.Position > 0 {
			state = fmt.Sprintf("waitlist %d", r.Position)
		}
		sb.WriteString(format.Truncate(fmt.Sprintf("%s%s  ×%d  %s", mark, format.Pad(r.PatronName, 24), r.Seats, state), m.w) + "\n")
	}
	return sb.String()
}

func eventTitle(r *domain.EventRegistration) string {
	if r.Event != nil {
		return r.Event.Title
	}
	return r.EventID
}
