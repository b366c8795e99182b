// Package printing is the print jobs screen (F11): the branch's receipt
// printers with their status, and the spool's jobs with their states
// (queued, printing, waiting: paper out..., done, failed, cancelled).
// Staff cancel a job, try it again now, or send it to another printer.
package printing

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/node/client"
	"stacks/tui/components/form"
	"stacks/tui/components/list"
	"stacks/tui/components/modal"
	"stacks/tui/format"
	"stacks/tui/session"
)

// API is what the screen needs of the appliance.
type API interface {
	PrintJobs(ctx context.Context) ([]apitype.PrintJob, error)
	Printers(ctx context.Context) ([]apitype.Printer, error)
	CancelPrintJob(ctx context.Context, id int64) (*apitype.PrintJob, error)
	RetryPrintJob(ctx context.Context, id int64) (*apitype.PrintJob, error)
	MovePrintJob(ctx context.Context, id int64, printer string) (*apitype.PrintJob, error)
}

var _ API = (*client.Client)(nil)

// LoadedMsg is the printers and jobs, or why they could not be read.
type LoadedMsg struct {
	Printers []apitype.Printer
	Jobs     []apitype.PrintJob
	Err      error
}

// DoneMsg is a job cancelled, retried or moved.
type DoneMsg struct {
	What string
	Job  *apitype.PrintJob
	Err  error
}

var (
	cancelKey = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "cancel job"))
	retryKey  = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry now"))
	moveKey   = key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "send to printer"))
)

// Model is the screen.
type Model struct {
	s        *session.Session
	api      API
	printers []apitype.Printer
	jobs     []apitype.PrintJob
	cursor   int
	form     *form.Model
	flash    string
	err      error
	loading  bool
	w, h     int
}

// New returns the screen; api is the logged-in client.
func New(s *session.Session, api API) *Model {
	return &Model{s: s, api: api, w: 80, h: 20}
}

// Title names the screen.
func (m *Model) Title() string { return "Print jobs" }

// SetSize is the space the screen may draw in.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Init loads the printers and jobs each time the screen is shown.
func (m *Model) Init() tea.Cmd { return m.load() }

// Help is the screen's keys.
func (m *Model) Help() []key.Binding {
	k := m.s.Keys
	if m.form != nil {
		return []key.Binding{k.Submit, k.Back}
	}
	return m.s.HelpKeys(session.Gated{Key: k.Up}, session.Gated{Key: cancelKey, Perm: domain.PermCirculation},
		session.Gated{Key: retryKey, Perm: domain.PermCirculation}, session.Gated{Key: moveKey, Perm: domain.PermCirculation},
		session.Gated{Key: k.Refresh})
}

func (m *Model) load() tea.Cmd {
	m.loading = true
	api := m.api
	return func() tea.Msg {
		ctx := context.Background()
		ps, err := api.Printers(ctx)
		if err != nil {
			return LoadedMsg{Err: err}
		}
		js, err := api.PrintJobs(ctx)
		return LoadedMsg{Printers: ps, Jobs: js, Err: err}
	}
}

func (m *Model) selected() *apitype.PrintJob {
	if m.cursor < len(m.jobs) {
		return &m.jobs[m.cursor]
	}
	return nil
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	k := m.s.Keys
	switch msg := msg.(type) {
	case LoadedMsg:
		m.loading = false
		m.err = msg.Err
		if msg.Err == nil {
			m.printers, m.jobs = msg.Printers, msg.Jobs
			m.cursor = min(m.cursor, max(0, len(m.jobs)-1))
		}
	case DoneMsg:
		if msg.Err != nil {
			m.flash = format.Err(msg.Err)
			return nil
		}
		m.flash = fmt.Sprintf("Job %d %s.", msg.Job.ID, msg.What)
		return m.load()
	case tea.KeyMsg:
		if m.form != nil {
			return m.formKey(msg)
		}
		j := m.selected()
		switch {
		case key.Matches(msg, k.Refresh):
			m.flash = ""
			return m.load()
		case key.Matches(msg, k.Up):
			m.cursor = list.Move(m.cursor, -1, len(m.jobs))
		case key.Matches(msg, k.Down):
			m.cursor = list.Move(m.cursor, 1, len(m.jobs))
		case j != nil && (key.Matches(msg, cancelKey) || key.Matches(msg, retryKey) || key.Matches(msg, moveKey)):
			if !m.s.Can(domain.PermCirculation) {
				m.flash = m.s.MayNot("manage print jobs")
				return nil
			}
			id, api := j.ID, m.api
			switch {
			case key.Matches(msg, cancelKey):
				return func() tea.Msg {
					r, err := api.CancelPrintJob(context.Background(), id)
					return DoneMsg{What: "cancelled", Job: r, Err: err}
				}
			case key.Matches(msg, retryKey):
				return func() tea.Msg {
					r, err := api.RetryPrintJob(context.Background(), id)
					return DoneMsg{What: "tried again", Job: r, Err: err}
				}
			default:
				var names []string
				for _, p := range m.printers {
					if p.Name != j.Printer {
						names = append(names, p.Name)
					}
				}
				def := ""
				if len(names) > 0 {
					def = names[0]
				}
				m.form = form.New(fmt.Sprintf("Send job %d to another printer", id), m.s.Styles, m.s.Keys, form.Field{Key: "printer", Label: "Printer", Value: def})
				m.form.Note = "Printers: " + strings.Join(names, ", ")
				m.form.SetWidth(min(60, m.w-6))
			}
		}
	}
	return nil
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
	j, api := m.selected(), m.api
	printer := strings.TrimSpace(m.form.Value("printer"))
	if printer == "" {
		m.form.Err = "Type the printer's name."
		return nil
	}
	m.form = nil
	if j == nil {
		return nil
	}
	id := j.ID
	return func() tea.Msg {
		r, err := api.MovePrintJob(context.Background(), id, printer)
		return DoneMsg{What: "sent to " + printer, Job: r, Err: err}
	}
}

// View draws the screen.
func (m *Model) View() string {
	st := m.s.Styles
	var sb strings.Builder
	sb.WriteString(st.Title.Render("Printers") + "\n")
	if len(m.printers) == 0 && !m.loading && m.err == nil {
		sb.WriteString(st.Muted.Render("  No printer.") + "\n")
	}
	for _, p := range m.printers {
		line := fmt.Sprintf("  %s  %s  %s  %d waiting", format.Pad(p.Name, 12), format.Pad(p.URL, 26), format.Pad(p.Status, 22), p.Queued)
		if p.Ready || p.Status == "not tried yet" {
			sb.WriteString(line + "\n")
		} else {
			sb.WriteString(st.Error.Render(line) + "\n")
		}
	}
	sb.WriteString("\n" + st.Title.Render(fmt.Sprintf("Print jobs (%d)", len(m.jobs))) + st.Muted.Render(" · id, printer, state, what, tries, queued at") + "\n")
	sb.WriteString(list.Status(st, m.err, m.flash, m.loading && m.jobs == nil))
	rows := make([]string, len(m.jobs))
	for i, j := range m.jobs {
		state := j.State
		if j.Detail != "" {
			state += ": " + j.Detail
		}
		rows[i] = fmt.Sprintf("%5d  %s  %s  %s  %d  %s", j.ID, format.Pad(j.Printer, 10), format.Pad(state, 28), format.Pad(j.Title, 34), j.Attempts,
			j.CreatedAt.Local().Format("15:04:05"))
	}
	sb.WriteString(list.Window(st, rows, m.cursor, max(1, m.h-6-len(m.printers)), m.w, true))
	out := sb.String()
	if m.form != nil {
		return modal.Overlay(out, modal.Box(st.Modal, m.form.View(), m.w-2), m.w, m.h)
	}
	return out
}
