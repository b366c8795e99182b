package tui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/branch/help"
	"stacks/node/client/clienttest"
)

// TestHelpQueue: a kiosk's request raises the banner on the checkout
// screen; F9 lists it (and another branch's, to take over), staff claim
// and answer it (the answer is stored for the kiosk to show), take the
// other over and close it; the banner goes once staff have seen the queue.
func TestHelpQueue(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	h := help.New(srv.Service, nil)
	kiosk := domain.WithActor(context.Background(), domain.Actor{ID: "kiosk1", Role: domain.RoleKiosk, Channel: domain.ChannelKiosk})
	carol := srv.Patrons["Carol"] // home branch EAST
	web := domain.WithActor(context.Background(), domain.Actor{ID: "patron:" + carol.PatronID, Role: domain.RolePatron, Channel: domain.ChannelWeb})
	eastID, err := h.AskFor(web, "web", carol.PatronID, "Is EAST open on Sunday?")
	if err != nil {
		t.Fatal(err)
	}
	d := newDeskOn(t, srv, "clerk", deskOpts{w: 100, h: 30, helpPoll: 20 * time.Millisecond})
	d.waitFor("Patron card:")
	kioskID, err := h.Open(kiosk, help.Ask{Channel: "kiosk", Message: "The self-check says see staff", Location: "Lobby"})
	if err != nil {
		t.Fatal(err)
	}
	// The banner, on the checkout screen.
	d.waitFor("NEW HELP REQUEST from kiosk Lobby", "The self-check says see staff", "F9 to answer")
	d.key(tea.KeyF9)
	s := d.waitFor("Help requests (1 open here)", "kiosk Lobby", "EAST", "Is EAST open on Sunday?")
	if strings.Contains(s, "NEW HELP REQUEST") {
		t.Errorf("the banner stays on the help screen:\n%s", s)
	}
	d.key(tea.KeyUp)
	d.waitFor("From kiosk Lobby (anonymous)")
	d.runes("c")
	d.waitFor("Claimed", "Help requests (0 open here)", "claimed   clerk")
	d.runes("a")
	d.waitFor("Answer: The self-check says see staff", "appears on the kiosk Lobby screen")
	d.typeText("Coming to the lobby now")
	d.key(tea.KeyEnter)
	d.waitFor("Answer sent", "clerk: Coming to the lobby now")
	hr, _, err := h.Request(context.Background(), kioskID)
	if err != nil || hr.Status != domain.HelpAnswered || len(hr.Messages) != 1 || hr.Messages[0].Author != "clerk" {
		t.Fatalf("after the answer: %+v %v", hr, err)
	}
	// EAST's request: take it over, then close it.
	d.key(tea.KeyDown)
	d.waitFor("From web (patron " + carol.PatronID)
	d.runes("t")
	d.waitFor("Taken over to MAIN")
	d.runes("x")
	d.waitFor("Closed")
	hr, _, err = h.Request(context.Background(), eastID)
	if err != nil || hr.Status != domain.HelpClosed || hr.BranchID != "MAIN" || hr.ClaimedBy != "clerk" {
		t.Fatalf("EAST's request: %+v %v", hr, err)
	}
	// Back on checkout: no banner, the request was seen.
	d.key(tea.KeyF1)
	s = d.waitFor("Patron card:")
	if strings.Contains(s, "NEW HELP REQUEST") {
		t.Errorf("banner after staff saw the queue:\n%s", s)
	}
}
