// Package feedback is the desk's feedback screen (ctrl+f): this branch's
// survey results per ISO week (NPS, CSAT, response rate) and its recent
// answers, newest first; staff reply to a named answer, and the patron
// reads the reply in their account. Anonymous answers cannot be replied
// to: nothing tells who gave them.
package feedback

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
	FeedbackResults(ctx context.Context, library, from, to string) ([]domain.FeedbackResult, error)
	FeedbackAnswers(ctx context.Context, library string, withComment bool, limit int) ([]domain.FeedbackAnswer, error)
	ReplyFeedback(ctx context.Context, answerID, text string) (*domain.FeedbackReply, error)
}

var _ API = (*client.Client)(nil)

// LoadedMsg is the results and answers, or why they could not be read.
type LoadedMsg struct {
	Results []domain.FeedbackResult
	Answers []domain.FeedbackAnswer
	Err     error
}

// RepliedMsg is a reply sent, or why not.
type RepliedMsg struct {
	Reply *domain.FeedbackReply
	Err   error
}

// Weeks is how many weeks of results the screen shows.
const Weeks = 6

var replyKey = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reply"))

// Model is the screen.
type Model struct {
	s       *session.Session
	api     API
	results []domain.FeedbackResult
	answers []domain.FeedbackAnswer
	cursor  int
	form    *form.Model
	flash   string
	err     error
	loading bool
	w, h    int
}

// New returns the screen; api is the logged-in client.
func New(s *session.Session, api API) *Model { return &Model{s: s, api: api, w: 80, h: 20} }

// Title names the screen.
func (m *Model) Title() string { return "Feedback" }

// SetSize is the space the screen may draw in.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Init loads the figures each time the screen is shown.
func (m *Model) Init() tea.Cmd { return m.load() }

// Help is the screen's keys.
func (m *Model) Help() []key.Binding {
	k := m.s.Keys
	if m.form != nil {
		return []key.Binding{k.Submit, k.Back}
	}
	return m.s.HelpKeys(session.Gated{Key: k.Up}, session.Gated{Key: replyKey, Perm: domain.PermPatronsWrite}, session.Gated{Key: k.Refresh})
}

func (m *Model) load() tea.Cmd {
	m.loading = true
	api, branch := m.api, m.s.Staff.Branch
	from := m.s.Now().AddDate(0, 0, -7*Weeks).Format(domain.DateLayout)
	return func() tea.Msg {
		ctx := context.Background()
		rs, err := api.FeedbackResults(ctx, branch, from, "")
		if err != nil {
			return LoadedMsg{Err: err}
		}
		as, err := api.FeedbackAnswers(ctx, branch, false, 100)
		return LoadedMsg{Results: rs, Answers: as, Err: err}
	}
}

func (m *Model) selected() *domain.FeedbackAnswer {
	if m.cursor < len(m.answers) {
		return &m.answers[m.cursor]
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
			m.results, m.answers = msg.Results, msg.Answers
			m.cursor = min(m.cursor, max(0, len(m.answers)-1))
		}
	case RepliedMsg:
		if msg.Err != nil {
			m.flash = format.Err(msg.Err)
			return nil
		}
		m.flash = "Reply sent: the patron sees it in their account."
		return m.load()
	case tea.KeyMsg:
		if m.form != nil {
			return m.formKey(msg)
		}
		a := m.selected()
		switch {
		case key.Matches(msg, k.Refresh):
			m.flash = ""
			return m.load()
		case key.Matches(msg, k.Up):
			m.cursor = list.Move(m.cursor, -1, len(m.answers))
		case key.Matches(msg, k.Down):
			m.cursor = list.Move(m.cursor, 1, len(m.answers))
		case key.Matches(msg, replyKey) && a != nil:
			switch {
			case !m.s.Can(domain.PermPatronsWrite):
				m.flash = m.s.MayNot("reply to feedback")
			case a.Anonymous:
				m.flash = "This answer is anonymous: there is nobody to reply to."
			default:
				m.form = form.New("Reply to the answer of "+format.Date(a.Day), m.s.Styles, m.s.Keys, form.Field{Key: "text", Label: "Reply"})
				m.form.Note = "The patron reads it in their account on the web."
				m.form.SetWidth(min(70, m.w-6))
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
	text := strings.TrimSpace(m.form.Value("text"))
	if text == "" {
		m.form.Err = "Type the reply."
		return nil
	}
	a, api := m.selected(), m.api
	m.form = nil
	if a == nil {
		return nil
	}
	id := a.AnswerID
	return func() tea.Msg {
		r, err := api.ReplyFeedback(context.Background(), id, text)
		return RepliedMsg{Reply: r, Err: err}
	}
}

func pct(p *float64, signed bool) string {
	if p == nil {
		return "   –"
	}
	if signed {
		return fmt.Sprintf("%+4.0f", *p)
	}
	return fmt.Sprintf("%3.0f%%", *p)
}

func num(p *int) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprint(*p)
}

// View draws the screen.
func (m *Model) View() string {
	st := m.s.Styles
	var sb strings.Builder
	sb.WriteString(st.Title.Render("Feedback at "+m.s.BranchName) + st.Muted.Render(" · NPS = % promoters (9-10) − % detractors (0-6); CSAT = % scoring 4-5") + "\n")
	sb.WriteString(list.Status(st, m.err, m.flash, m.loading && m.results == nil))
	sb.WriteString(st.Muted.Render("  week      channel  answers  invited  NPS   CSAT  response") + "\n")
	if len(m.results) == 0 && !m.loading {
		sb.WriteString(st.Muted.Render("  No answers in the last weeks.") + "\n")
	}
	shown := 0
	for _, r := range m.results {
		if shown == 8 {
			break
		}
		shown++
		sb.WriteString(fmt.Sprintf("  %s  %s  %7d  %7d  %s  %s  %s\n", r.Week, format.Pad(string(r.Channel), 7), r.Answers, r.Invitations,
			pct(r.NPS, true), pct(r.CSAT, false), pct(r.ResponseRate, false)))
	}
	sb.WriteString("\n" + st.Title.Render(fmt.Sprintf("Recent answers (%d)", len(m.answers))) + st.Muted.Render(" · day, channel, score, NPS, who, comment") + "\n")
	rows := make([]string, len(m.answers))
	for i, a := range m.answers {
		who := "anonymous"
		if !a.Anonymous {
			who = "named"
			if len(a.Replies) > 0 {
				who = fmt.Sprintf("named, %d repl.", len(a.Replies))
			}
		}
		rows[i] = fmt.Sprintf("%s  %s  %s/5  %s/10  %s  %s", format.Date(a.Day), format.Pad(string(a.Channel), 6), num(a.Score), num(a.NPS),
			format.Pad(who, 16), a.Comment)
	}
	sb.WriteString(list.Window(st, rows, m.cursor, max(1, m.h-shown-7), m.w, true))
	out := sb.String()
	if m.form != nil {
		return modal.Overlay(out, modal.Box(st.Modal, m.form.View(), m.w-2), m.w, m.h)
	}
	return out
}
