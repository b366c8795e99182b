// Package list is the scrolled list of rows with a cursor that the desk's
// list screens share (the holds shelf's sections, the verification queue):
// the line under the title that says what happened, the window of rows
// that keeps the cursor in view, and the cursor's moves.
package list

import (
	"strings"

	"stacks/tui/format"
	"stacks/tui/styles"
)

// Status is the line under a screen's title: the error, else the last
// action's outcome (flash), else "Loading…" while the first load runs,
// else blank; with its newline.
func Status(st *styles.Styles, err error, flash string, firstLoad bool) string {
	switch {
	case err != nil:
		return st.Error.Render(format.Err(err)) + "\n"
	case flash != "":
		return st.OK.Render(flash) + "\n"
	case firstLoad:
		return st.Muted.Render("Loading…") + "\n"
	}
	return "\n"
}

// Window draws at most room of rows, scrolled so that the cursor's row is
// in view; each row is indented two columns and padded to width-2, and
// the cursor's row is shown selected when active.
func Window(st *styles.Styles, rows []string, cursor, room, width int, active bool) string {
	var sb strings.Builder
	start := max(0, min(cursor-room+1, len(rows)-room))
	for i := start; i < len(rows) && i < start+room; i++ {
		r := format.Pad(rows[i], width-2)
		if active && i == cursor {
			r = st.Selected.Render(r)
		}
		sb.WriteString("  " + r + "\n")
	}
	return sb.String()
}

// Move is the cursor moved by delta within n rows.
func Move(cursor, delta, n int) int {
	return min(max(0, n-1), max(0, cursor+delta))
}
