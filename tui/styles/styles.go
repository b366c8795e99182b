// Package styles is the one place the staff TUI's look is defined.
package styles

import "github.com/charmbracelet/lipgloss"

// Styles are every style the TUI uses.
type Styles struct {
	App        lipgloss.Style
	Tab        lipgloss.Style
	ActiveTab  lipgloss.Style
	Title      lipgloss.Style
	Label      lipgloss.Style
	Value      lipgloss.Style
	Muted      lipgloss.Style
	OK         lipgloss.Style
	Warn       lipgloss.Style
	Error      lipgloss.Style
	Selected   lipgloss.Style
	Modal      lipgloss.Style
	ModalTitle lipgloss.Style
	Input      lipgloss.Style
	Status     lipgloss.Style
	StatusKey  lipgloss.Style
	Online     lipgloss.Style
	Offline    lipgloss.Style
	HelpKey    lipgloss.Style
	HelpDesc   lipgloss.Style
}

// Default returns the desk's styles: high contrast, readable on the cheap
// monitors of a circulation desk, and plain text when colour is off.
func Default() *Styles {
	accent := lipgloss.AdaptiveColor{Light: "#1D4ED8", Dark: "#7AA2F7"}
	muted := lipgloss.AdaptiveColor{Light: "#6B7280", Dark: "#8B93A7"}
	return &Styles{
		App:        lipgloss.NewStyle(),
		Tab:        lipgloss.NewStyle().Foreground(muted),
		ActiveTab:  lipgloss.NewStyle().Bold(true).Foreground(accent).Underline(true),
		Title:      lipgloss.NewStyle().Bold(true).Foreground(accent),
		Label:      lipgloss.NewStyle().Foreground(muted),
		Value:      lipgloss.NewStyle(),
		Muted:      lipgloss.NewStyle().Foreground(muted),
		OK:         lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#047857", Dark: "#9ECE6A"}),
		Warn:       lipgloss.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#B45309", Dark: "#E0AF68"}),
		Error:      lipgloss.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#B91C1C", Dark: "#F7768E"}),
		Selected:   lipgloss.NewStyle().Bold(true).Reverse(true),
		Modal:      lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1),
		ModalTitle: lipgloss.NewStyle().Bold(true).Foreground(accent),
		Input:      lipgloss.NewStyle(),
		Status:     lipgloss.NewStyle().Reverse(true),
		StatusKey:  lipgloss.NewStyle().Reverse(true).Bold(true),
		Online:     lipgloss.NewStyle().Reverse(true).Bold(true),
		Offline:    lipgloss.NewStyle().Reverse(true).Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#B91C1C", Dark: "#F7768E"}),
		HelpKey:    lipgloss.NewStyle().Bold(true),
		HelpDesc:   lipgloss.NewStyle().Foreground(muted),
	}
}
