package main_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/node/e2etest"
)

// TestKioskTodaysEvents: against a real branchd, the kiosk (script command
// "events", and "e" on its first screen) lists today's events at its
// branch with start time, title, room and seats left, "waitlist" for a
// full one, in English and in Finnish; an event at another branch or on
// another day is not listed.
func TestKioskTodaysEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd and kiosk processes")
	}
	now := time.Now()
	start := now.Add(2 * time.Minute).Truncate(time.Minute)
	if start.Day() != now.Day() || start.Add(time.Hour).Day() != now.Day() {
		t.Skip("too close to midnight for an event today")
	}
	b := binaries(t)
	br := startBranchd(t, b["branchd"])
	create := func(title, lib, room string, at time.Time, capacity int) string {
		t.Helper()
		var out struct {
			EventID string `json:"event_id"`
		}
		body := map[string]any{"title": title, "library_id": lib, "room": room, "capacity": capacity,
			"start": at.Format(time.RFC3339), "end": at.Add(time.Hour).Format(time.RFC3339)}
		if code := e2etest.Call(t, "POST", br.API+"/api/v1/events", e2etest.Staff, body, &out); code != http.StatusCreated {
			t.Fatalf("create %s: %d", title, code)
		}
		return out.EventID
	}
	create("Kiosk story time", "MAIN", "Hall", start, 5)
	full := create("Kiosk knitting circle", "MAIN", "Attic", start, 1)
	create("Kiosk chess elsewhere", "EAST", "Cellar", start, 5)
	create("Kiosk poetry tomorrow", "MAIN", "Hall", start.AddDate(0, 0, 1), 5)
	if code := e2etest.Call(t, "POST", br.API+"/api/v1/events/"+full+"/registrations", e2etest.Staff,
		map[string]any{"cardnumber": "21000000000010"}, nil); code != http.StatusCreated {
		t.Fatalf("registration: %d", code)
	}
	hhmm := start.Format("15:04")
	kiosk := func(lang, stdin string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, b["kiosk"], append([]string{"--acs", br.SIP, "--api", br.API, "--lang", lang}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kiosk: %v\n%s\nbranchd log:\n%s", err, out, br.Logs.String())
		}
		return string(out)
	}
	want := func(out string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Fatalf("the kiosk lacks %q:\n%s", w, out)
			}
		}
		for _, w := range []string{"Kiosk chess elsewhere", "Kiosk poetry tomorrow"} {
			if strings.Contains(out, w) {
				t.Fatalf("the kiosk lists %q:\n%s", w, out)
			}
		}
	}

	script := filepath.Join(t.TempDir(), "events.kiosk")
	must(t, os.WriteFile(script, []byte("events\n"), 0o644))
	want(kiosk("en", "", "script", script), "events ok: Today's events at this library:",
		hhmm+"  Kiosk story time  (Hall)  5 seats left", hhmm+"  Kiosk knitting circle  (Attic)  waitlist")

	// The first screen, in Finnish.
	want(kiosk("fi", "e\nq\n"), "[e] tämän päivän tapahtumat", "Tämän päivän tapahtumat tässä kirjastossa:",
		hhmm+"  Kiosk story time  (Hall)  5 paikkaa vapaana", hhmm+"  Kiosk knitting circle  (Attic)  jonotuslista")
}
