// Package login is the login screen: a staff username and password,
// checked against the appliance.
package login

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"stacks/node/apitype"
	"stacks/node/client"
	"stacks/tui/components/form"
	"stacks/tui/format"
	"stacks/tui/keymap"
	"stacks/tui/styles"
)

// LoggedInMsg is a login checked by the appliance, or why it failed.
type LoggedInMsg struct {
	Client     *client.Client
	Staff      *apitype.Me
	BranchName string
	Err        error
}

// Model is the screen.
type Model struct {
	api   *client.Client
	st    *styles.Styles
	keys  *keymap.KeyMap
	form  *form.Model
	where string
	busy  bool
	w, h  int
}

// New returns the screen for the appliance api; where says how it was
// found (shown under the form).
func New(api *client.Client, st *styles.Styles, keys *keymap.KeyMap, where string) *Model {
	m := &Model{api: api, st: st, keys: keys, where: where, w: 80, h: 20}
	m.reset("")
	return m
}

func (m *Model) reset(errText string) {
	m.form = form.New("Log in to the desk", m.st, m.keys,
		form.Field{Key: "user", Label: "Username"},
		form.Field{Key: "pass", Label: "Password", Secret: true})
	m.form.Required = true // Esc has nothing to go back to
	m.form.Note = m.st.Muted.Render("Appliance " + m.api.BaseURL())
	m.form.Err = errText
	m.form.SetWidth(40)
}

// SetSize is the space the screen may draw in.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Help is the screen's keys.
func (m *Model) Help() []key.Binding {
	return []key.Binding{m.keys.NextField, m.keys.Submit, m.keys.Quit}
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case LoggedInMsg:
		m.busy = false
		if msg.Err != nil {
			m.reset(format.Err(msg.Err))
		}
		return nil
	case tea.KeyMsg:
		if m.busy {
			return nil
		}
		res, cmd := m.form.Update(msg)
		if res == form.Submitted {
			user, pass := m.form.Value("user"), m.form.Value("pass")
			if user == "" || pass == "" {
				m.form.Err = "Enter your username and password."
				return nil
			}
			m.busy = true
			m.form.Err = ""
			return m.login(user, pass)
		}
		return cmd
	}
	return nil
}

// login trades the username and password for a session token; every
// later call sends the token, never the password.
func (m *Model) login(user, pass string) tea.Cmd {
	api := m.api
	return func() tea.Msg {
		ctx := context.Background()
		c, _, err := api.Login(ctx, user, pass)
		if err != nil {
			return LoggedInMsg{Err: err}
		}
		me, err := c.Me(ctx)
		if err != nil {
			return LoggedInMsg{Err: err}
		}
		name := me.Branch
		if lib, err := c.Library(ctx, me.Branch); err == nil && lib.Name != "" {
			name = lib.Name
		}
		return LoggedInMsg{Client: c, Staff: me, BranchName: name}
	}
}

// View draws the screen.
func (m *Model) View() string {
	body := m.form.View()
	if m.busy {
		body += "\n" + m.st.Muted.Render("Checking…")
	}
	if m.where != "" {
		body += "\n\n" + m.st.Muted.Render(format.Truncate(m.where, 70))
	}
	box := m.st.Modal.Render(strings.TrimRight(body, "\n"))
	title := m.st.Title.Render("Stacks · staff desk")
	return lipgloss.Place(m.w, m.h, lipgloss.Center, lipgloss.Center, lipgloss.JoinVertical(lipgloss.Center, title, "", box))
}
