package scanner_test

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/tui/components/scanner"
)

func TestQueueKeepsEveryScanInOrder(t *testing.T) {
	m := scanner.New("Item")
	// Chunked input (as a fast scanner arrives), a line end inside runes,
	// and one rune at a time.
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("A1")})
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("B2\rC3\r")})
	for _, r := range "D4" {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	m.Update(tea.KeyMsg{Type: tea.KeyEnter}) // blank: ignored
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("E5x")})
	m.Update(tea.KeyMsg{Type: tea.KeyBackspace})

	var got []string
	s, ok := m.Next()
	if !ok {
		t.Fatal("nothing queued")
	}
	got = append(got, s)
	if _, ok := m.Next(); ok {
		t.Fatal("Next while busy")
	}
	m.Done()
	for {
		s, ok := m.Next()
		if !ok {
			break
		}
		got = append(got, s)
		m.Done()
	}
	want := []string{"A1", "B2", "C3", "D4"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if m.Value() != "E5" {
		t.Errorf("line = %q", m.Value())
	}
}
