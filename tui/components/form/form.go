// Package form is a small dialog of labelled text fields: the login, an
// override reason, a payment, a patron's profile.
package form

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"stacks/tui/keymap"
	"stacks/tui/styles"
)

// Field is one labelled input.
type Field struct {
	Key    string
	Label  string
	Secret bool
	Value  string
	Hint   string
}

// Result is what a key did to the form.
type Result int

const (
	// None: the form is still being filled in.
	None Result = iota
	// Submitted: Enter was pressed.
	Submitted
	// Cancelled: Esc was pressed.
	Cancelled
)

// Model is a form.
type Model struct {
	Title string
	Note  string
	Err   string
	// Required: the form cannot be cancelled (the login), so its hint
	// does not offer Esc.
	Required bool
	fields   []Field
	inputs   []*input
	focus    int
	keys     *keymap.KeyMap
	st       *styles.Styles
	width    int
}

// New returns a form with the first field focused.
func New(title string, st *styles.Styles, keys *keymap.KeyMap, fields ...Field) *Model {
	f := &Model{Title: title, fields: fields, keys: keys, st: st, width: 40}
	for i, fd := range fields {
		f.inputs = append(f.inputs, &input{value: []rune(fd.Value), secret: fd.Secret, focused: i == 0, limit: 200})
	}
	f.SetWidth(40)
	return f
}

// SetWidth sets the width of the inputs.
func (f *Model) SetWidth(w int) {
	f.width = w
	lw := f.labelWidth()
	for i := range f.inputs {
		f.inputs[i].width = max(8, w-lw-3)
	}
}

func (f *Model) labelWidth() int {
	lw := 0
	for _, fd := range f.fields {
		lw = max(lw, len([]rune(fd.Label)))
	}
	return lw
}

// Update handles a message: Tab and arrows move between fields, Enter
// submits, Esc cancels; anything else goes to the focused field.
func (f *Model) Update(msg tea.Msg) (Result, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(k, f.keys.Back):
			return Cancelled, nil
		case key.Matches(k, f.keys.Submit):
			return Submitted, nil
		case key.Matches(k, f.keys.NextField), key.Matches(k, f.keys.Down):
			f.move(1)
			return None, nil
		case key.Matches(k, f.keys.PrevField), key.Matches(k, f.keys.Up):
			f.move(-1)
			return None, nil
		}
	}
	if k, ok := msg.(tea.KeyMsg); ok {
		f.inputs[f.focus].update(k)
	}
	return None, nil
}

func (f *Model) move(d int) {
	f.inputs[f.focus].focused = false
	f.focus = (f.focus + d + len(f.inputs)) % len(f.inputs)
	f.inputs[f.focus].focused = true
}

// Value is the trimmed value of the field with key k.
func (f *Model) Value(k string) string {
	for i, fd := range f.fields {
		if fd.Key == k {
			return strings.TrimSpace(string(f.inputs[i].value))
		}
	}
	return ""
}

// Changed reports whether field k differs from its initial value.
func (f *Model) Changed(k string) bool {
	for i, fd := range f.fields {
		if fd.Key == k {
			return strings.TrimSpace(string(f.inputs[i].value)) != strings.TrimSpace(fd.Value)
		}
	}
	return false
}

// View renders the form without a frame.
func (f *Model) View() string {
	var sb strings.Builder
	if f.Title != "" {
		sb.WriteString(f.st.ModalTitle.Render(f.Title) + "\n")
	}
	if f.Note != "" {
		sb.WriteString(f.Note + "\n")
	}
	sb.WriteString("\n")
	lw := f.labelWidth()
	for i, fd := range f.fields {
		mark := "  "
		if i == f.focus {
			mark = "> "
		}
		lbl := fd.Label + strings.Repeat(" ", lw-len([]rune(fd.Label)))
		sb.WriteString(mark + f.st.Label.Render(lbl) + " " + f.inputs[i].view(f.st.Muted.Render(fd.Hint)) + "\n")
	}
	if f.Err != "" {
		sb.WriteString("\n" + f.st.Error.Render(f.Err) + "\n")
	}
	hint := "enter ok · tab next field · esc cancel"
	if f.Required {
		hint = "enter ok · tab next field"
	}
	sb.WriteString("\n" + f.st.Muted.Render(hint))
	return sb.String()
}

// input is one editable line. It takes what the keyboard or a scanner
// types, including runes read in one chunk.
type input struct {
	value   []rune
	secret  bool
	focused bool
	limit   int
	width   int
}

func (in *input) update(k tea.KeyMsg) {
	switch k.Type {
	case tea.KeyRunes:
		for _, r := range k.Runes {
			if r >= ' ' && len(in.value) < in.limit {
				in.value = append(in.value, r)
			}
		}
	case tea.KeySpace:
		if len(in.value) < in.limit {
			in.value = append(in.value, ' ')
		}
	case tea.KeyBackspace:
		if len(in.value) > 0 {
			in.value = in.value[:len(in.value)-1]
		}
	case tea.KeyCtrlU:
		in.value = in.value[:0]
	}
}

func (in *input) view(hint string) string {
	v := in.value
	if in.secret {
		v = []rune(strings.Repeat("*", len(v)))
	}
	// Show the end of a value wider than the field.
	if in.width > 1 && len(v) > in.width-1 {
		v = v[len(v)-(in.width-1):]
	}
	s := string(v)
	if in.focused {
		s += "_"
	} else if len(v) == 0 {
		s = hint
	}
	return s
}
