// Package branding is how the library presents itself to patrons: its name,
// colours and logo, in one place for every channel that shows them (the
// patron web today; kiosk text and receipts can read the same values).
// It is plain data with no dependencies, so any channel may import it.
package branding

import (
	"fmt"
	"regexp"
	"strings"
)

// Branding is the library's look.
type Branding struct {
	// Name is the library's name as patrons read it ("Stacks Public
	// Library").
	Name string
	// Colours, as CSS hex colours (#rrggbb). Primary is the header and
	// buttons (text on it is white); Accent marks links and focus.
	Primary, Accent string
	// LogoFile is an SVG or PNG file on disk shown in the header; empty
	// means the embedded default logo.
	LogoFile string
}

// Default is the look of a library that has set none.
func Default() Branding {
	return Branding{Name: "Stacks Public Library", Primary: "#1d4f73", Accent: "#8a3b12"}
}

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// WithDefaults fills what is unset from Default.
func (b Branding) WithDefaults() Branding {
	d := Default()
	if strings.TrimSpace(b.Name) == "" {
		b.Name = d.Name
	}
	if b.Primary == "" {
		b.Primary = d.Primary
	}
	if b.Accent == "" {
		b.Accent = d.Accent
	}
	return b
}

// Validate reports a look that cannot be used.
func (b Branding) Validate() error {
	for what, c := range map[string]string{"primary": b.Primary, "accent": b.Accent} {
		if c != "" && !hexColour.MatchString(c) {
			return fmt.Errorf("branding: the %s colour %q is not #rrggbb", what, c)
		}
	}
	if len(b.Name) > 120 {
		return fmt.Errorf("branding: the library's name is longer than 120 characters")
	}
	if b.LogoFile != "" && !strings.HasSuffix(strings.ToLower(b.LogoFile), ".svg") && !strings.HasSuffix(strings.ToLower(b.LogoFile), ".png") {
		return fmt.Errorf("branding: the logo %s is not an .svg or .png file", b.LogoFile)
	}
	return nil
}
