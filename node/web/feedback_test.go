package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/feedback"
	"stacks/node/web"
)

func feedbackLib(t *testing.T, every time.Duration) (*lib, *feedback.Service) {
	t.Helper()
	var fb *feedback.Service
	l := newLib(t, func(c *web.Config) {
		fb = feedback.New(c.Library.(*branch.Service), feedback.Config{Every: every})
		c.Feedback = webFeedback{fb}
	})
	return l, fb
}

// TestFeedbackWeb: a renewal invites once per period; the invitation is
// no longer offered once its loan is returned; bad answers are refused in
// the patron's language, keeping what they typed; another patron's
// invitation is not found; an anonymous answer from the web names nobody;
// the footer links the public page, which needs no login.
func TestFeedbackWeb(t *testing.T) {
	l, fb := feedbackLib(t, 24*time.Hour)
	l.lend(annCard, "N1")
	l.lend(annCard, "N2")
	ann := l.browser()
	ann.lang = "fi"
	ann.login(annCard, annPIN)
	loans, err := l.svc.PatronLoans(l.ctx, l.ann.PatronID, false)
	must(t, err)
	p := ann.post("/account/loans/"+loans[0].LoanID+"/renew", nil)
	wantIn(t, p, `id="fbinv"`, "Kerro, miten meni", "Uusit lainan.", `href="/you-said-we-did"`, "Te sanoitte, me teimme")
	pend, err := fb.Pending(l.ctx, l.ann.PatronID)
	must(t, err)
	if len(pend) != 1 {
		t.Fatalf("pending %+v", pend)
	}
	// The second renewal the same day invites nobody again.
	ann.post("/account/loans/"+loans[1].LoanID+"/renew", nil)
	if pend, _ := fb.Pending(l.ctx, l.ann.PatronID); len(pend) != 1 {
		t.Fatalf("pending after a second renewal %+v", pend)
	}
	// Bob may not see Ann's invitation.
	bob := l.browser()
	bob.login(bobCard, bobPIN)
	wantStatus(t, bob.get("/feedback?invitation="+pend[0].InvitationID), http.StatusNotFound)
	// Bad answers, in Finnish; the comment typed is kept.
	ann.get("/feedback?invitation=" + pend[0].InvitationID)
	p = ann.post("/feedback", url.Values{"invitation": {pend[0].InvitationID}, "score": {"7"}, "nps": {"11"}, "comment": {"Hyvä"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantIn(t, p, "Valitse tyytyväisyys 1–5.", "Valitse suositteluhalukkuus 0–10.", ">Hyvä</textarea>")
	// The loan returned: the survey is no longer offered, nor open.
	_, err = l.svc.Checkin(l.ctx, domain.CheckinRequest{Barcode: loans[0].Barcode})
	must(t, err)
	wantNotIn(t, ann.get("/account"), `id="fbinv"`)
	p = ann.post("/feedback", url.Values{"invitation": {pend[0].InvitationID}, "score": {"5"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantIn(t, p, "Tämä kysely ei ole enää avoinna")
	// Sent again, it is kept without the survey, anonymously.
	p = ann.post("/feedback", url.Values{"score": {"5"}, "nps": {"10"}, "anonymous": {"yes"}, "comment": {"Kiitos"}})
	wantStatus(t, p, http.StatusOK)
	wantIn(t, p, "Se tallennettiin ilman nimeäsi.")
	as, err := fb.Answers(l.ctx, feedback.AnswersFilter{})
	must(t, err)
	if len(as) != 1 || !as[0].Anonymous || as[0].PatronID != "" || as[0].Channel != domain.ChannelWeb {
		t.Fatalf("answers %+v", as)
	}
	for _, op := range l.ops(feedback.KindAnswer) {
		if op.Actor != feedback.AnonymousActor {
			t.Fatalf("anonymous web answer made by %q", op.Actor)
		}
	}
	// The public page, without a login.
	_, err = fb.PutEntry(l.ctx, domain.YouSaidWeDid{SaidEN: "Longer hours", SaidFI: "Pidemmät aukioloajat", DidEN: "Open till 8", DidFI: "Auki kahdeksaan", Published: true})
	must(t, err)
	wantIn(t, l.browser().get("/you-said-we-did"), "Longer hours", "Open till 8")
}
