package tui_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"stacks/node/client"
	"stacks/node/client/clienttest"
	"stacks/tui"
)

func TestMain(m *testing.M) {
	// Golden screens are plain text: no colour, whatever the terminal.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// probe wraps the desk so that a test can read its screen from inside the
// program's own loop, where reading it is race-free.
type probe struct{ m tea.Model }

type snapMsg chan string

func (p probe) Init() tea.Cmd { return p.m.Init() }

func (p probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ch, ok := msg.(snapMsg); ok {
		ch <- p.m.View()
		return p, nil
	}
	m, cmd := p.m.Update(msg)
	return probe{m}, cmd
}

func (p probe) View() string { return p.m.View() }

// desk is the TUI running against a real in-process appliance.
type desk struct {
	t   *testing.T
	srv *clienttest.Server
	tm  *teatest.TestModel
	w   int
	h   int
}

type deskOpts struct {
	server  clienttest.Options
	w, h    int
	refresh time.Duration // status line refresh; 0: only at login
	// helpPoll is how often the help queue is read; 0: the default.
	helpPoll time.Duration
}

// newDesk starts the desk at w x h (80x24 by default) against a seeded
// appliance and logs in as user (password = user in the fixture).
func newDesk(t *testing.T, user string, o deskOpts) *desk {
	t.Helper()
	srv := clienttest.New(t, o.server)
	return newDeskOn(t, srv, user, o)
}

func newDeskOn(t *testing.T, srv *clienttest.Server, user string, o deskOpts) *desk {
	t.Helper()
	if o.w == 0 {
		o.w, o.h = 80, 24
	}
	c, err := client.New(client.Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	refresh := o.refresh
	if refresh == 0 {
		refresh = -1
	}
	m, err := tui.New(tui.Config{Client: c, Now: srv.Clock.Now, Refresh: refresh, Where: "Appliance given for the test.",
		HelpPoll: o.helpPoll})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, probe{m}, teatest.WithInitialTermSize(o.w, o.h))
	t.Cleanup(func() { tm.Quit() })
	d := &desk{t: t, srv: srv, tm: tm, w: o.w, h: o.h}
	if user != "" {
		d.login(user, user)
		d.waitFor("standalone")
	}
	return d
}

func (d *desk) login(user, pass string) {
	d.t.Helper()
	d.waitFor("Log in to the desk")
	d.typeText(user)
	d.key(tea.KeyTab)
	d.typeText(pass)
	d.key(tea.KeyEnter)
}

// typeText types s one rune at a time, as a person does.
func (d *desk) typeText(s string) { d.tm.Type(s) }

// scan sends s as a fast scanner does: the runes in one read, then Enter.
func (d *desk) scan(s string) {
	d.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)})
	d.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
}

func (d *desk) key(k tea.KeyType) { d.tm.Send(tea.KeyMsg{Type: k}) }

func (d *desk) runes(s string) { d.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}) }

// screen is what the terminal shows now, as plain text.
func (d *desk) screen() string {
	ch := make(snapMsg, 1)
	d.tm.Send(ch)
	select {
	case s := <-ch:
		return ansi.Strip(s)
	case <-time.After(10 * time.Second):
		d.t.Fatal("the desk did not answer")
		return ""
	}
}

// waitFor waits until every one of wants is on the screen and returns it.
func (d *desk) waitFor(wants ...string) string {
	d.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		s := d.screen()
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %q on the screen:\n%s", wants, s)
		}
		<-tick.C
	}
}

// golden compares the screen with testdata/<name>.golden; go test -update
// rewrites the files.
func (d *desk) golden(name, screen string) {
	d.t.Helper()
	checkSize(d.t, screen, d.w, d.h)
	path := filepath.Join("testdata", name+".golden")
	// The appliance's port changes from run to run; its width does not.
	screen = portRE.ReplaceAllStringFunc(screen, func(s string) string {
		return "127.0.0.1:" + strings.Repeat("N", len(s)-len("127.0.0.1:"))
	})
	got := []byte(trimRight(screen))
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			d.t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			d.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		d.t.Fatalf("%v (run go test ./tui -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		d.t.Errorf("screen %s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

var portRE = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

// trimRight drops trailing spaces of each line, which terminals do not
// show.
func trimRight(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

// checkSize fails if the screen is not exactly h lines of at most w cells.
func checkSize(t *testing.T, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) != h {
		t.Errorf("screen has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i+1, n, w, l)
		}
	}
}
