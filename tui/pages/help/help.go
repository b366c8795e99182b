// Package help is the desk's help queue screen (F9): patrons' help
// requests from kiosks, the web and apps. It lists the active requests of
// this branch, then other branches' (to take over), with the selected
// one's conversation; staff claim, answer, take over and close. It polls
// the appliance while the desk runs, so that a new request raises a
// banner on every screen (Alert) until staff look at this one.
package help

import (
	"context"
	"fmt"
	"strings"
	"time"

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
	HelpRequests(ctx context.Context, status, libraryID string) ([]domain.HelpRequest, error)
	ClaimHelp(ctx context.Context, id string) (*domain.HelpRequest, error)
	AnswerHelp(ctx context.Context, id, text string) (*domain.HelpRequest, error)
	TakeOverHelp(ctx context.Context, id string) (*domain.HelpRequest, error)
	CloseHelp(ctx context.Context, id string) (*domain.HelpRequest, error)
}

var _ API = (*client.Client)(nil)

// DefaultPoll is how often the queue is read while the desk runs.
const DefaultPoll = 5 * time.Second

// LoadedMsg is the queue, or why it could not be read.
type LoadedMsg struct {
	Gen      int
	Requests []domain.HelpRequest
	Err      error
	// Tick: a poll read it, and the next poll is due.
	Tick bool
}

// pollMsg asks for the next poll.
type pollMsg struct{ gen int }

// DoneMsg is a request claimed, answered, taken over or closed.
type DoneMsg struct {
	What    string
	Request *domain.HelpRequest
	Err     error
}

var (
	claimKey    = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "claim"))
	answerKey   = key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "answer"))
	takeOverKey = key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "take over"))
	closeKey    = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "close"))
)

// Model is the screen.
type Model struct {
	s       *session.Session
	api     API
	poll    time.Duration
	gen     int
	reqs    []domain.HelpRequest // this branch's first, then others'
	cursor  int
	seen    map[string]bool // open requests staff have seen on this screen
	visible bool
	form    *form.Model
	flash   string
	err     error
	loaded  bool
	w, h    int
}

// New returns the screen; api is the logged-in client; poll is how often
// the queue is read (0: DefaultPoll).
func New(s *session.Session, api API, poll time.Duration) *Model {
	if poll <= 0 {
		poll = DefaultPoll
	}
	return &Model{s: s, api: api, poll: poll, seen: map[string]bool{}, w: 80, h: 20}
}

// Title names the screen, with the number of open requests here.
func (m *Model) Title() string {
	if n := m.openHere(); n > 0 {
		return fmt.Sprintf("Help (%d)", n)
	}
	return "Help"
}

// SetSize is the space the screen may draw in.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetVisible tells the screen whether staff are looking at it: what it
// shows then counts as seen.
func (m *Model) SetVisible(v bool) {
	m.visible = v
	if v {
		m.markSeen()
	}
}

// Init reads the queue each time the screen is shown.
func (m *Model) Init() tea.Cmd { return m.load(false) }

// Watch starts polling the queue; a call stops the loop of the one
// before.
func (m *Model) Watch() tea.Cmd {
	m.gen++
	return m.load(true)
}

func (m *Model) here(r domain.HelpRequest) bool { return r.BranchID == m.s.Staff.Branch }

func (m *Model) openHere() int {
	n := 0
	for _, r := range m.reqs {
		if m.here(r) && r.Status == domain.HelpOpen {
			n++
		}
	}
	return n
}

func (m *Model) markSeen() {
	for _, r := range m.reqs {
		m.seen[r.RequestID] = true
	}
}

// Alert is the banner every screen shows while a request of this branch
// is open and staff have not seen it here; "" when there is none.
func (m *Model) Alert() string {
	var news []domain.HelpRequest
	for _, r := range m.reqs {
		if m.here(r) && r.Status == domain.HelpOpen && !m.seen[r.RequestID] {
			news = append(news, r)
		}
	}
	switch len(news) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("🔔 NEW HELP REQUEST from %s: %q · F9 to answer", where(news[0]), short(news[0].Message, 40))
	}
	return fmt.Sprintf("🔔 %d NEW HELP REQUESTS · F9 to answer", len(news))
}

func where(r domain.HelpRequest) string {
	if r.Channel == string(domain.ChannelKiosk) && r.Location != "" {
		return "kiosk " + r.Location
	}
	return r.Channel
}

func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// Help is the screen's keys.
func (m *Model) Help() []key.Binding {
	k := m.s.Keys
	if m.form != nil {
		return []key.Binding{k.Submit, k.Back}
	}
	g := func(b key.Binding) session.Gated { return session.Gated{Key: b, Perm: domain.PermHelp} }
	return m.s.HelpKeys(session.Gated{Key: k.Up}, g(claimKey), g(answerKey), g(takeOverKey), g(closeKey), session.Gated{Key: k.Refresh})
}

func (m *Model) load(tick bool) tea.Cmd {
	api, gen := m.api, m.gen
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rs, err := api.HelpRequests(ctx, "active", "")
		return LoadedMsg{Gen: gen, Requests: rs, Err: err, Tick: tick}
	}
}

func (m *Model) selected() *domain.HelpRequest {
	if m.cursor < len(m.reqs) {
		return &m.reqs[m.cursor]
	}
	return nil
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	k := m.s.Keys
	switch msg := msg.(type) {
	case LoadedMsg:
		if msg.Tick && msg.Gen != m.gen {
			return nil // an old loop
		}
		m.apply(msg)
		if msg.Tick {
			gen := m.gen
			return tea.Tick(m.poll, func(time.Time) tea.Msg { return pollMsg{gen: gen} })
		}
	case pollMsg:
		if msg.gen == m.gen {
			return m.load(true)
		}
	case DoneMsg:
		if msg.Err != nil {
			m.flash = format.Err(msg.Err)
			return nil
		}
		m.flash = msg.What
		return m.load(false)
	case tea.KeyMsg:
		if m.form != nil {
			return m.formKey(msg)
		}
		r := m.selected()
		switch {
		case key.Matches(msg, k.Refresh):
			m.flash = ""
			return m.load(false)
		case key.Matches(msg, k.Up):
			m.cursor = list.Move(m.cursor, -1, len(m.reqs))
		case key.Matches(msg, k.Down):
			m.cursor = list.Move(m.cursor, 1, len(m.reqs))
		case r == nil:
		case !m.s.Can(domain.PermHelp) && (key.Matches(msg, claimKey) || key.Matches(msg, answerKey) || key.Matches(msg, takeOverKey) || key.Matches(msg, closeKey)):
			m.flash = m.s.MayNot("work the help queue")
		case key.Matches(msg, claimKey):
			return m.act("Claimed", r.RequestID, m.api.ClaimHelp)
		case key.Matches(msg, takeOverKey):
			return m.act("Taken over to "+m.s.Staff.Branch, r.RequestID, m.api.TakeOverHelp)
		case key.Matches(msg, closeKey):
			return m.act("Closed", r.RequestID, m.api.CloseHelp)
		case key.Matches(msg, answerKey):
			m.form = form.New("Answer: "+short(r.Message, 40), m.s.Styles, m.s.Keys, form.Field{Key: "text", Label: "Answer"})
			m.form.Note = "The answer appears on the " + where(*r) + " screen."
			m.form.SetWidth(min(70, m.w-6))
		}
	}
	return nil
}

// apply takes a read of the queue: this branch's requests first.
func (m *Model) apply(msg LoadedMsg) {
	m.err = msg.Err
	if msg.Err != nil {
		return
	}
	var cur string
	if r := m.selected(); r != nil {
		cur = r.RequestID
	}
	var here, other []domain.HelpRequest
	for _, r := range msg.Requests {
		if m.here(r) {
			here = append(here, r)
		} else {
			other = append(other, r)
		}
	}
	m.reqs = append(here, other...)
	m.loaded = true
	m.cursor = min(m.cursor, max(0, len(m.reqs)-1))
	for i, r := range m.reqs {
		if r.RequestID == cur {
			m.cursor = i
		}
	}
	if m.visible {
		m.markSeen()
	}
}

func (m *Model) act(what, id string, f func(context.Context, string) (*domain.HelpRequest, error)) tea.Cmd {
	return func() tea.Msg {
		r, err := f(context.Background(), id)
		return DoneMsg{What: what, Request: r, Err: err}
	}
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
	r, api := m.selected(), m.api
	text := strings.TrimSpace(m.form.Value("text"))
	if r == nil {
		m.form = nil
		return nil
	}
	if text == "" {
		m.form.Err = "Type the answer."
		return nil
	}
	m.form = nil
	id := r.RequestID
	return func() tea.Msg {
		hr, err := api.AnswerHelp(context.Background(), id, text)
		return DoneMsg{What: "Answer sent", Request: hr, Err: err}
	}
}

// View draws the screen.
func (m *Model) View() string {
	st := m.s.Styles
	var sb strings.Builder
	sb.WriteString(st.Title.Render(fmt.Sprintf("Help requests (%d open here)", m.openHere())) +
		st.Muted.Render(" · asked, branch, from, status, staff, question") + "\n")
	sb.WriteString(list.Status(st, m.err, m.flash, !m.loaded))
	if len(m.reqs) == 0 && m.loaded {
		sb.WriteString(st.Muted.Render("  Nobody is asking for help.") + "\n")
	}
	rows := make([]string, len(m.reqs))
	for i, r := range m.reqs {
		mark := " "
		if !m.here(r) {
			mark = "»" // another branch's: take it over
		}
		rows[i] = fmt.Sprintf("%s %s  %-5s  %s  %-8s  %s  %s", mark, m.clock(r.CreatedAt), r.BranchID, format.Pad(where(r), 16),
			r.Status, format.Pad(r.ClaimedBy, 8), short(r.Message, 60))
	}
	room := max(1, m.h/2-2)
	sb.WriteString(list.Window(st, rows, m.cursor, room, m.w, true))
	if r := m.selected(); r != nil {
		sb.WriteString("\n" + m.conversation(*r))
	}
	out := sb.String()
	if m.form != nil {
		return modal.Overlay(out, modal.Box(st.Modal, m.form.View(), m.w-2), m.w, m.h)
	}
	return out
}

func (m *Model) conversation(r domain.HelpRequest) string {
	st := m.s.Styles
	var sb strings.Builder
	who := "anonymous"
	if r.PatronID != "" {
		who = "patron " + r.PatronID
	}
	sb.WriteString(st.Label.Render(fmt.Sprintf("From %s (%s), asked %s at %s", where(r), who, m.clock(r.CreatedAt), r.RoutedBranch)) + "\n")
	sb.WriteString("  patron: " + r.Message + "\n")
	for _, msg := range r.Messages {
		from := "patron"
		if msg.From == domain.HelpFromStaff {
			from = msg.Author
		}
		sb.WriteString(fmt.Sprintf("  %s %s: %s\n", m.clock(msg.At), from, msg.Text))
	}
	if r.Awaiting == domain.HelpFromStaff {
		sb.WriteString(st.Warn.Render("  waiting for staff") + "\n")
	}
	return sb.String()
}

// clock is a stored instant as the desk's local time, HH:MM (with the
// date when it is not today).
func (m *Model) clock(stamp string) string {
	t, err := time.Parse(domain.TimeLayout, stamp)
	if err != nil {
		return stamp
	}
	now := m.s.Now()
	t = t.In(now.Location())
	if t.Format("2006-01-02") != now.Format("2006-01-02") {
		return t.Format("02.01 15:04")
	}
	return t.Format("15:04")
}
