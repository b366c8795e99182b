// Package format is how the desk writes money, dates, durations and names.
package format

import (
	"errors"

	"fmt"
	"stacks/branch/domain"
	"stacks/node/client"
	"strings"
	"time"
)

// Money writes cents as 12.34 (negative as -12.34).
func Money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// ParseMoney reads 12, 12.3 or 12.34 as cents.
func ParseMoney(s string) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return 0, fmt.Errorf("enter an amount such as 2.50")
	}
	var w, f int64
	if whole != "" {
		if _, err := fmt.Sscanf(whole, "%d", &w); err != nil || w < 0 || strings.ContainsAny(whole, "+- ") {
			return 0, fmt.Errorf("%q is not an amount such as 2.50", s)
		}
	}
	switch len(frac) {
	case 0:
	case 1, 2:
		if _, err := fmt.Sscanf(frac, "%d", &f); err != nil || strings.ContainsAny(frac, "+- ") {
			return 0, fmt.Errorf("%q is not an amount such as 2.50", s)
		}
		if len(frac) == 1 {
			f *= 10
		}
	default:
		return 0, fmt.Errorf("%q has more than two decimals", s)
	}
	return w*100 + f, nil
}

// Name is a patron's name, surname first for lists.
func Name(p *domain.Patron) string {
	if p == nil {
		return ""
	}
	return p.Name()
}

// Date writes an RFC 3339 timestamp or a date as YYYY-MM-DD.
func Date(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}

// Ago writes how long before now t was: "12s ago", "5m ago", "3h ago",
// "2d ago"; "never" for the zero time.
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

// Truncate cuts s to at most w cells, ending with … if cut.
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	if w == 1 {
		return "…"
	}
	return string(r[:w-1]) + "…"
}

// Pad right-pads s with spaces to w runes, truncating if longer.
func Pad(s string, w int) string {
	s = Truncate(s, w)
	if n := len([]rune(s)); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// Err writes an error in plain words for the desk: the API's own message
// for a refusal, a plain sentence when the appliance cannot be reached.
func Err(err error) string {
	if err == nil {
		return ""
	}
	if client.IsUnreachable(err) {
		return "The appliance did not answer; try again."
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		return ce.Error()
	}
	var be *domain.Error
	if errors.As(err, &be) && be.Message != "" {
		return be.Message
	}
	return err.Error()
}

// Overridable reports whether err is a rule refusal a supervisor may
// override.
func Overridable(err error) bool {
	var be *domain.Error
	return errors.As(err, &be) && be.Overridable
}
