// Package scanner is the scan field of the desk: it takes what a barcode
// scanner types (a barcode and Enter, a few milliseconds apart, many in a
// row) or a person types, and queues every completed line so that a screen
// processes scans one at a time, in order, while the field keeps taking
// input. A scan is never dropped because an API call is in flight.
package scanner

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Model is a one-line input with a queue of submitted lines.
type Model struct {
	Prompt      string
	Placeholder string
	PromptStyle lipgloss.Style
	MutedStyle  lipgloss.Style
	Focused     bool

	line  []rune
	queue []string
	busy  bool
}

// New returns a focused scan field.
func New(prompt string) *Model { return &Model{Prompt: prompt, Focused: true} }

// Update takes a key and reports whether it was the scan field's (typing,
// editing or Enter). Enter queues the line if it is not blank.
func (m *Model) Update(msg tea.KeyMsg) bool {
	switch msg.Type {
	case tea.KeyRunes:
		// Input read in one chunk may carry a line end inside the runes.
		for _, r := range msg.Runes {
			switch r {
			case '\r', '\n':
				m.submit()
			case '\t':
				m.line = append(m.line, ' ')
			default:
				if r < ' ' || r == 0x7f {
					continue // control characters are never part of a scan
				}
				m.line = append(m.line, r)
			}
		}
		return true
	case tea.KeySpace:
		m.line = append(m.line, ' ')
		return true
	case tea.KeyBackspace:
		if len(m.line) > 0 {
			m.line = m.line[:len(m.line)-1]
		}
		return true
	case tea.KeyCtrlU:
		m.line = m.line[:0]
		return true
	case tea.KeyEnter:
		m.submit()
		return true
	}
	return false
}

func (m *Model) submit() {
	s := strings.TrimSpace(string(m.line))
	m.line = m.line[:0]
	if s != "" {
		m.queue = append(m.queue, s)
	}
}

// Value is the line being typed.
func (m *Model) Value() string { return string(m.line) }

// Typing reports whether a line is being typed (not yet submitted).
func (m *Model) Typing() bool { return len(m.line) > 0 }

// Push queues a line as if it had been scanned.
func (m *Model) Push(s string) { m.queue = append(m.queue, s) }

// Next takes the next queued scan if none is being processed; the caller
// must call Done when it has been.
func (m *Model) Next() (string, bool) {
	if m.busy || len(m.queue) == 0 {
		return "", false
	}
	s := m.queue[0]
	m.queue = m.queue[1:]
	m.busy = true
	return s, true
}

// Done marks the scan taken by Next as processed.
func (m *Model) Done() { m.busy = false }

// Busy reports whether a scan is being processed.
func (m *Model) Busy() bool { return m.busy }

// Pending is how many scans wait behind the one being processed.
func (m *Model) Pending() int { return len(m.queue) }

// Idle reports whether nothing is queued or being processed.
func (m *Model) Idle() bool { return !m.busy && len(m.queue) == 0 }

// Clear drops queued scans not yet started (a new patron, a log out).
func (m *Model) Clear() { m.queue = nil }

// View renders the field: prompt, the line, a cursor, and how many scans
// are waiting.
func (m *Model) View() string {
	var sb strings.Builder
	sb.WriteString(m.PromptStyle.Render(m.Prompt))
	sb.WriteString(" ")
	if len(m.line) == 0 && m.Placeholder != "" && !m.Focused {
		sb.WriteString(m.MutedStyle.Render(m.Placeholder))
	}
	sb.WriteString(string(m.line))
	if m.Focused {
		sb.WriteString("_")
	}
	if n := m.Pending(); n > 0 || m.busy {
		q := n
		if m.busy {
			q++
		}
		sb.WriteString(m.MutedStyle.Render("  (" + itoa(q) + " in progress)"))
	}
	return sb.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
