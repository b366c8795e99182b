package web_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/feedback"
	"stacks/node/web"
)

// webFeedback adapts branch/feedback to web.Feedback, as node does.
type webFeedback struct{ f *feedback.Service }

func (a webFeedback) Invite(ctx context.Context, tr domain.FeedbackTrigger) (*domain.FeedbackInvitation, error) {
	return a.f.Invite(ctx, tr)
}
func (a webFeedback) Pending(ctx context.Context, id string) ([]domain.FeedbackInvitation, error) {
	return a.f.Pending(ctx, id)
}
func (a webFeedback) Invitation(ctx context.Context, id string) (*domain.FeedbackInvitation, error) {
	return a.f.Invitation(ctx, id)
}
func (a webFeedback) Close(ctx context.Context, p, id string) error { return a.f.Close(ctx, p, id) }
func (a webFeedback) Answer(ctx context.Context, p string, anon bool, inv string, score, nps *int, c string) (*domain.FeedbackAnswer, error) {
	return a.f.Answer(ctx, feedback.AnswerRequest{PatronID: p, Anonymous: anon, InvitationID: inv, Channel: domain.ChannelWeb, Score: score, NPS: nps, Comment: c})
}
func (a webFeedback) PatronAnswers(ctx context.Context, p string) ([]domain.FeedbackAnswer, error) {
	return a.f.PatronAnswers(ctx, p)
}
func (a webFeedback) Entries(ctx context.Context, pub bool) ([]domain.YouSaidWeDid, error) {
	return a.f.Entries(ctx, feedback.YSWDFilter{PublishedOnly: pub})
}

// pickRadio chooses value in the radio group name: a click, or (keyboard)
// Tab into the group, whose first radio takes the focus, and arrow keys.
func (tb *tab) pickRadio(name string, first, value int) {
	tb.t.Helper()
	sel := fmt.Sprintf(`input[name=%s][value="%d"]`, name, value)
	if tb.mode == keyboard {
		tb.focusByTab(fmt.Sprintf(`input[name=%s][value="%d"]`, name, first))
		tb.run(chromedp.KeyEvent(" "))
		for range value - first {
			tb.run(chromedp.KeyEvent(kb.ArrowRight))
		}
	} else {
		tb.run(chromedp.Click(chromedp.CSS(sel)))
	}
	if !get(tb, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).checked`, sel))) {
		tb.t.Fatalf("%s: %s is not chosen", tb.mode, sel)
	}
}

// TestBrowserFeedback: after a renewal on the web the account invites the
// patron to the survey; they take it up, answer with the mouse, without
// scripts or with the keyboard alone; an empty answer is refused in
// words; the answer and a staff reply appear in the account; the footer
// leads to the "you said, we did" page, in Finnish too. axe checks each
// page.
func TestBrowserFeedback(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	h := newHarness(t)
	for _, m := range modes {
		t.Run(string(m), func(t *testing.T) {
			var fb *feedback.Service
			l := newLib(t, func(c *web.Config) {
				fb = feedback.New(c.Library.(*branch.Service), feedback.Config{})
				c.Feedback = webFeedback{fb}
			})
			_, err := fb.PutEntry(l.ctx, domain.YouSaidWeDid{SaidEN: "The reading room is too cold", SaidFI: "Lukusali on liian kylmä",
				DidEN: "We fixed the heating", DidFI: "Korjasimme lämmityksen", Published: true})
			must(t, err)
			l.lend(annCard, "N1")
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/login", "#cardnumber")
			tb.login(annCard, annPIN, "#loans")
			tb.activate(`form[action$="/renew"] button`, "#fbinv")
			tb.wantText(".notices", "renewed: now due")
			tb.check("feedback-invited")
			tb.activate(`form[action="/feedback/start"] button`, `form[action="/feedback"]`)
			tb.check("feedback-survey")
			// Nothing chosen: refused in words, nothing lost.
			tb.activate(`form[action="/feedback"] button[type=submit]`, ".problems")
			tb.wantText(".problems", "Choose a satisfaction or a recommendation, or write a comment.")
			tb.pickRadio("score", 1, 4)
			tb.pickRadio("nps", 0, 9)
			tb.fill("#comment", "Renewing was easy")
			tb.activate(`form[action="/feedback"] button[type=submit]`, `a[href="/account"]`)
			tb.wantText("main", "Thank you for your answer.")
			tb.check("feedback-thanks")
			mine, err := fb.PatronAnswers(l.ctx, l.ann.PatronID)
			must(t, err)
			if len(mine) != 1 || *mine[0].Score != 4 || *mine[0].NPS != 9 || mine[0].Kind != domain.FeedbackRenewal || mine[0].Comment != "Renewing was easy" {
				t.Fatalf("answers %+v", mine)
			}
			_, err = fb.Reply(l.ctx, mine[0].AnswerID, "Glad to hear it!")
			must(t, err)
			tb.open("/account", "#loans")
			if n := get(tb, chromedp.Evaluate[int](`document.querySelectorAll("#fbinv").length`)); n != 0 {
				t.Fatal("the invitation is still offered after it was taken up")
			}
			tb.activate(`a[href="/account/feedback"]`, ".reply")
			tb.wantText("main", "Renewing was easy", "Glad to hear it!")
			tb.check("feedback-mine")
			tb.activate(`footer a[href="/you-said-we-did"]`, "li.card")
			tb.wantText("main", "The reading room is too cold", "We fixed the heating")
			tb.check("feedback-yswd")
			tb.activate(`form[action="/language"] button`, `html[lang="fi"]`)
			tb.wantText("main", "Lukusali on liian kylmä", "Korjasimme lämmityksen")
			tb.check("feedback-yswd-fi")
		})
	}
}
