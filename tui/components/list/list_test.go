package list_test

import (
	"errors"
	"strings"
	"testing"

	"stacks/tui/components/list"
	"stacks/tui/styles"
)

func TestMove(t *testing.T) {
	for _, tc := range []struct{ cursor, delta, n, want int }{
		{0, -1, 3, 0}, {0, 1, 3, 1}, {2, 1, 3, 2}, {5, -1, 3, 2}, {0, 1, 0, 0},
	} {
		if got := list.Move(tc.cursor, tc.delta, tc.n); got != tc.want {
			t.Errorf("Move(%d, %d, %d) = %d, want %d", tc.cursor, tc.delta, tc.n, got, tc.want)
		}
	}
}

// TestWindow: the window keeps the cursor's row in view and shows no more
// than room rows.
func TestWindow(t *testing.T) {
	st := styles.Default()
	rows := []string{"a", "b", "c", "d", "e"}
	got := list.Window(st, rows, 4, 2, 10, false)
	if lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n"); len(lines) != 2 || strings.TrimSpace(lines[0]) != "d" || strings.TrimSpace(lines[1]) != "e" {
		t.Errorf("window at the end: %q", got)
	}
	if got := list.Window(st, rows, 0, 3, 10, false); !strings.HasPrefix(got, "  a") || strings.Count(got, "\n") != 3 {
		t.Errorf("window at the start: %q", got)
	}
	if got := list.Status(st, errors.New("boom"), "done", true); !strings.Contains(got, "boom") {
		t.Errorf("status shows the error first: %q", got)
	}
	if got := list.Status(st, nil, "", false); got != "\n" {
		t.Errorf("idle status: %q", got)
	}
}
