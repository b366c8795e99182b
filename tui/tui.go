// Package tui is the staff desk: a bubbletea terminal application that is
// a client of a branch appliance's HTTP API. Its shape follows soft-serve's
// pkg/ui: one model per screen under pages/, reusable pieces under
// components/, one keymap, one set of styles; each screen's messages are
// typed; I/O happens only inside tea.Cmds; the API client is passed to
// constructors.
package tui

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"stacks/node/apitype"
	"stacks/node/client"
	"stacks/tui/format"
	"stacks/tui/keymap"
	"stacks/tui/pages/catalogue"
	"stacks/tui/pages/checkin"
	"stacks/tui/pages/checkout"
	"stacks/tui/pages/cluster"
	"stacks/tui/pages/events"
	"stacks/tui/pages/feedback"
	helpq "stacks/tui/pages/help"
	"stacks/tui/pages/holds"
	"stacks/tui/pages/login"
	"stacks/tui/pages/patrons"
	"stacks/tui/pages/printing"
	"stacks/tui/pages/verify"
	"stacks/tui/session"
	"stacks/tui/styles"
)

// DefaultRefresh is how often the status line asks the appliance how it is.
const DefaultRefresh = 10 * time.Second

// OnlineWindow is how recent a peer's last successful sync must be for the
// appliance to count as online.
const OnlineWindow = 2 * time.Minute

// Config configures the desk.
type Config struct {
	// Client is the appliance's API, without a login.
	Client *client.Client
	// Where says how the appliance was found, for the login screen.
	Where string
	// Now is the desk's clock; nil means time.Now.
	Now func() time.Time
	// Refresh is how often the status line is refreshed; 0 means
	// DefaultRefresh, negative only once after login.
	Refresh time.Duration
	// HelpPoll is how often the help queue is read for new requests; 0
	// means helpq.DefaultPoll.
	HelpPoll time.Duration
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	if c.Client == nil {
		return errors.New("tui: no API client")
	}
	return nil
}

// page is one screen.
type page interface {
	Init() tea.Cmd
	Update(tea.Msg) tea.Cmd
	View() string
	SetSize(w, h int)
	Title() string
	Help() []key.Binding
}

// Screen indexes, in tab order.
const (
	screenCheckout = iota
	screenCheckin
	screenPatrons
	screenHolds
	screenCatalogue
	screenSync
	// screenVerify is the self-registration verification queue (F7).
	screenVerify
	// screenEvents is today's events and ticket check-in (F8).
	screenEvents
	// screenHelp is the help requests queue (F9), outside the tab bar
	// (its key is in every screen's help bar).
	screenHelp
	// screenFeedback is the survey results and answers (ctrl+f), not in
	// the tab bar.
	screenFeedback
	// screenPrinting is the print jobs of the receipt printers (F11).
	screenPrinting
)

// ConnectivityMsg is what the appliance said about itself and its peers.
type ConnectivityMsg struct {
	Gen       int
	Reachable bool
	Peers     []apitype.PeerStatus
	Err       error
}

// refreshMsg asks for the next connectivity check.
type refreshMsg struct{ gen int }

// Model is the whole desk.
type Model struct {
	cfg   Config
	st    *styles.Styles
	keys  *keymap.KeyMap
	help  help.Model
	login *login.Model

	sess   *session.Session
	api    *client.Client // the logged-in client
	pages  []page
	active int
	gen    int // counts logins, so that an old refresh loop stops

	// helpq is the help queue screen; it also raises the banner of new
	// requests on every screen.
	helpq *helpq.Model

	conn     *ConnectivityMsg
	w, h     int
	quitting bool
}

// New returns the desk at its login screen. It does no I/O.
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Refresh == 0 {
		cfg.Refresh = DefaultRefresh
	}
	st, keys := styles.Default(), keymap.Default()
	h := help.New()
	h.Styles.ShortKey, h.Styles.ShortDesc, h.Styles.ShortSeparator = st.HelpKey, st.HelpDesc, st.Muted
	m := &Model{cfg: cfg, st: st, keys: keys, help: h, w: 80, h: 24}
	m.login = login.New(cfg.Client, st, keys, cfg.Where)
	m.resize()
	return m, nil
}

// Init starts nothing: the desk waits for a login.
func (m *Model) Init() tea.Cmd { return nil }

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.resize()
		return m, nil
	case tea.KeyMsg:
		return m, m.key(msg)
	case login.LoggedInMsg:
		cmd := m.login.Update(msg)
		if msg.Err == nil {
			return m, m.start(msg)
		}
		return m, cmd
	case ConnectivityMsg:
		if msg.Gen != m.gen {
			return m, nil
		}
		m.conn = &msg
		if m.cfg.Refresh > 0 {
			gen := m.gen
			return m, tea.Tick(m.cfg.Refresh, func(time.Time) tea.Msg { return refreshMsg{gen: gen} })
		}
		return m, nil
	case refreshMsg:
		if msg.gen != m.gen || m.sess == nil {
			return m, nil
		}
		return m, m.checkConnectivity()
	}
	// Every other message is some screen's answer; each screen ignores
	// the messages of the others.
	var cmds []tea.Cmd
	for _, p := range m.pages {
		cmds = append(cmds, p.Update(msg))
	}
	return m, tea.Batch(cmds...)
}

func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	if key.Matches(k, m.keys.Quit) {
		m.quitting = true
		return tea.Quit
	}
	if m.sess == nil {
		return m.login.Update(k)
	}
	if key.Matches(k, m.keys.Logout) {
		m.logout()
		return nil
	}
	for i, b := range m.keys.Screens() {
		if key.Matches(k, b) {
			return m.switchTo(i)
		}
	}
	if key.Matches(k, m.keys.HelpQueue) {
		return m.switchTo(screenHelp)
	}
	if key.Matches(k, m.keys.Feedback) {
		return m.switchTo(screenFeedback)
	}
	if key.Matches(k, m.keys.PrintJobs) {
		return m.switchTo(screenPrinting)
	}
	if key.Matches(k, m.keys.Events) {
		return m.switchTo(screenEvents)
	}
	return m.pages[m.active].Update(k)
}

// switchTo shows screen i and lets it refresh what it shows.
func (m *Model) switchTo(i int) tea.Cmd {
	m.active = i
	m.helpq.SetVisible(i == screenHelp)
	return m.pages[i].Init()
}

// start builds the screens for a logged-in staff member.
func (m *Model) start(msg login.LoggedInMsg) tea.Cmd {
	m.gen++
	m.sess = &session.Session{Staff: *msg.Staff, BranchName: msg.BranchName, Styles: m.st, Keys: m.keys, Now: m.cfg.Now}
	c := msg.Client
	m.api = c
	m.pages = []page{
		checkout.New(m.sess, c),
		checkin.New(m.sess, c),
		patrons.New(m.sess, c),
		holds.New(m.sess, c),
		catalogue.New(m.sess, c),
		cluster.New(m.sess, c),
		verify.New(m.sess, c),
		events.New(m.sess, c),
	}
	// The screens outside the tab bar, in the order of their constants.
	m.helpq = helpq.New(m.sess, c, m.cfg.HelpPoll)
	m.pages = append(m.pages, m.helpq, feedback.New(m.sess, c), printing.New(m.sess, c))
	m.active = screenCheckout
	m.conn = nil
	m.resize()
	return tea.Batch(m.checkConnectivity(), m.pages[m.active].Init(), m.helpq.Watch())
}

func (m *Model) logout() {
	m.gen++
	m.sess, m.api, m.pages, m.conn = nil, nil, nil, nil
	m.helpq = nil
	m.login = login.New(m.cfg.Client, m.st, m.keys, m.cfg.Where)
	m.resize()
}

// checkConnectivity asks the appliance whether it answers and how its
// peers are.
func (m *Model) checkConnectivity() tea.Cmd {
	c, gen := m.api, m.gen
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Health(ctx); err != nil {
			return ConnectivityMsg{Gen: gen, Err: err}
		}
		ps, err := c.Peers(ctx)
		return ConnectivityMsg{Gen: gen, Reachable: true, Peers: ps, Err: err}
	}
}

// bodyHeight is the lines between the tab bar and the help and status
// lines.
func (m *Model) bodyHeight() int { return max(1, m.h-4) }

func (m *Model) resize() {
	m.help.Width = m.w
	m.login.SetSize(m.w, m.h-2)
	for _, p := range m.pages {
		p.SetSize(m.w, m.bodyHeight())
	}
}

// View draws the desk.
func (m *Model) View() string {
	if m.quitting {
		return ""
	}
	if m.sess == nil {
		return m.fit(m.login.View(), m.h-2) + "\n" + m.help.ShortHelpView(m.login.Help()) + "\n" + m.statusLine()
	}
	p := m.pages[m.active]
	var sb strings.Builder
	sb.WriteString(m.tabs() + "\n" + m.moreTabs() + "\n")
	sb.WriteString(m.fit(p.View(), m.bodyHeight()) + "\n")
	sb.WriteString(m.helpLine(append(p.Help(), m.keys.Logout, m.keys.Quit)) + "\n")
	sb.WriteString(m.statusLine())
	return sb.String()
}

// helpLine is the short help of bs within the terminal's width. (The help
// model truncates with an ellipsis, but lets a line through that is too
// wide when the items fill the width exactly and no ellipsis fits.)
func (m *Model) helpLine(bs []key.Binding) string {
	s := m.help.ShortHelpView(bs)
	for len(bs) > 1 && lipgloss.Width(s) > m.w {
		bs = bs[:len(bs)-1]
		s = m.help.ShortHelpView(bs)
	}
	return s
}

// fit pads or cuts s to exactly h lines no wider than the terminal.
func (m *Model) fit(s string, h int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		if lipgloss.Width(l) > m.w {
			lines[i] = lipgloss.NewStyle().MaxWidth(m.w).Render(l)
		}
	}
	return strings.Join(lines, "\n")
}

func (m *Model) tabs() string {
	var parts []string
	for i, b := range m.keys.Screens() {
		label := b.Help().Key + " " + m.pages[i].Title()
		if i == m.active {
			parts = append(parts, m.st.ActiveTab.Render(label))
		} else {
			parts = append(parts, m.st.Tab.Render(label))
		}
	}
	return strings.Join(parts, "  ")
}

// statusLine is the branch, who is logged in, and whether the appliance is
// reachable and online to the rest of the cluster.
func (m *Model) statusLine() string {
	link, ok := m.linkText()
	left := " not logged in │ "
	if s := m.sess; s != nil {
		left = " " + s.BranchName + " (" + s.Staff.Branch + ") │ " + s.Staff.Username + " · " + s.Staff.Role + " │ "
		if lipgloss.Width(left)+lipgloss.Width(link)+1 > m.w {
			left = " " + s.Staff.Branch + " │ " + s.Staff.Username + " │ "
		}
	}
	ls := m.st.Online
	if !ok {
		ls = m.st.Offline
	}
	pad := m.w - lipgloss.Width(left) - lipgloss.Width(link)
	out := m.st.Status.Render(left) + ls.Render(link)
	if pad > 0 {
		out += m.st.Status.Render(strings.Repeat(" ", pad))
	}
	return lipgloss.NewStyle().MaxWidth(m.w).Render(out)
}

// linkText says how the appliance and its link to the cluster are; false
// when something is wrong (shown, never blocking).
func (m *Model) linkText() (string, bool) {
	c := m.conn
	switch {
	case m.sess == nil:
		return "appliance " + m.cfg.Client.BaseURL(), true
	case c == nil:
		return "checking the appliance…", true
	case !c.Reachable:
		return "APPLIANCE UNREACHABLE · retrying", false
	case c.Err != nil:
		return "sync status unknown", false
	case len(c.Peers) == 0:
		return "standalone (no peers)", true
	}
	now := m.cfg.Now()
	var last time.Time
	for _, p := range c.Peers {
		if p.LastSuccess.After(last) {
			last = p.LastSuccess
		}
	}
	if !last.IsZero() && now.Sub(last) <= OnlineWindow {
		return "online · synced " + format.Ago(now, last), true
	}
	return "OFFLINE · last sync " + format.Ago(now, last) + " · lending continues", false
}

// helpBanner is the alert of new help requests, shown under the tabs on
// every screen but the help queue's own; "" when there is none.
func (m *Model) helpBanner() string {
	if m.helpq == nil || m.active == screenHelp {
		return ""
	}
	return m.helpq.Alert()
}

// moreTabs is the line under the tab bar: the screens the bar has no room
// for at 80 columns (help requests, feedback, print jobs, ...), with the
// help queue's alert before them while a request is new.
func (m *Model) moreTabs() string {
	var parts []string
	if a := m.helpBanner(); a != "" {
		parts = append(parts, m.st.Error.Render(a))
	}
	for i, b := range m.keys.MoreScreens() {
		s := screenEvents + i
		if s >= len(m.pages) {
			break
		}
		label := b.Help().Key + " " + m.pages[s].Title()
		if s == m.active {
			parts = append(parts, m.st.ActiveTab.Render(label))
		} else {
			parts = append(parts, m.st.Tab.Render(label))
		}
	}
	return lipgloss.NewStyle().MaxWidth(m.w).Render(strings.Join(parts, "  "))
}
