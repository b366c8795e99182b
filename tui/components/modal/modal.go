// Package modal draws a framed box over a screen.
package modal

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Overlay draws fg, centred, over bg, which is w columns by h lines. The
// lines of bg left and right of the box stay visible.
func Overlay(bg, fg string, w, h int) string {
	bgLines := strings.Split(bg, "\n")
	for len(bgLines) < h {
		bgLines = append(bgLines, "")
	}
	fgLines := strings.Split(fg, "\n")
	fw := lipgloss.Width(fg)
	if fw > w {
		fw = w
	}
	top := max(0, (len(bgLines)-len(fgLines))/2)
	left := max(0, (w-fw)/2)
	for i, fl := range fgLines {
		y := top + i
		if y >= len(bgLines) {
			break
		}
		b := bgLines[y]
		if pad := left + fw - ansi.StringWidth(b); pad > 0 {
			b += strings.Repeat(" ", pad)
		}
		fl = ansi.Truncate(fl, fw, "")
		if pad := fw - ansi.StringWidth(fl); pad > 0 {
			fl += strings.Repeat(" ", pad)
		}
		bgLines[y] = ansi.Truncate(b, left, "") + fl + ansi.TruncateLeft(b, left+fw, "")
	}
	return strings.Join(bgLines, "\n")
}

// Box frames content with a title in style st, at most maxW wide.
func Box(st lipgloss.Style, content string, maxW int) string {
	w := min(lipgloss.Width(content)+st.GetHorizontalFrameSize(), maxW)
	return st.Width(w - st.GetHorizontalBorderSize()).Render(content)
}
