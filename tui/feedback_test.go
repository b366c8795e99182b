package tui_test

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/branch/feedback"
)

// TestFeedbackScreen: ctrl+f shows this branch's figures per week (NPS,
// CSAT, response rate) and recent answers; staff reply to a named answer
// and the patron's answers then carry the reply; an anonymous answer
// cannot be replied to.
func TestFeedbackScreen(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{w: 120, h: 40})
	fb := feedback.New(d.srv.Service, feedback.Config{})
	alice := d.srv.Patrons["Alice"]
	web := domain.WithActor(context.Background(), domain.Actor{ID: "patron:" + alice.PatronID, Role: domain.RolePatron, Channel: domain.ChannelWeb})
	ip := func(v int) *int { return &v }
	// Web: 10 and 6 -> NPS (1-1)/2 = 0; scores 5 and 2 -> CSAT 50%.
	if _, err := fb.Answer(web, feedback.AnswerRequest{Anonymous: true, Channel: domain.ChannelWeb, Score: ip(2), NPS: ip(6), Comment: "Queue too long"}); err != nil {
		t.Fatal(err)
	}
	d.srv.Clock.Advance(60e9)
	named, err := fb.Answer(web, feedback.AnswerRequest{PatronID: alice.PatronID, Channel: domain.ChannelWeb, Score: ip(5), NPS: ip(10), Comment: "Lovely staff"})
	if err != nil {
		t.Fatal(err)
	}
	d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlF})
	d.waitFor("Feedback at", "web", "+0", "50%", "Lovely staff", "Queue too long", "anonymous")
	// The newest (named) answer is selected: reply to it.
	d.runes("r")
	d.waitFor("Reply to the answer of")
	d.typeText("Thank you, we will tell them.")
	d.key(tea.KeyEnter)
	d.waitFor("Reply sent", "named, 1 repl.")
	mine, err := fb.PatronAnswers(context.Background(), alice.PatronID)
	if err != nil || len(mine) != 1 || mine[0].AnswerID != named.AnswerID || len(mine[0].Replies) != 1 ||
		mine[0].Replies[0].Text != "Thank you, we will tell them." || mine[0].Replies[0].Staff != "clerk" {
		t.Fatalf("patron's answers %+v %v", mine, err)
	}
	d.key(tea.KeyDown)
	d.runes("r")
	d.waitFor("This answer is anonymous")
}
