package feedback_test

import (
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/feedback"
	"stacks/replicate"
)

// TestResultsRepliesAndEntries: answers from several channels are counted
// per branch, channel and ISO week with the invitations of each; a reply
// to a named answer is read back with it; "you said, we did" entries are
// last writer wins and reach another node; both nodes' feedback tables end
// byte-identical whatever order the ops arrived in.
func TestResultsRepliesAndEntries(t *testing.T) {
	e := open(t, 1, time.Hour)
	l := e.borrow(t, "B-1")
	_, err := e.Service.Renew(e.ctx, domain.RenewRequest{LoanID: l.LoanID})
	must(t, err)
	inv, err := e.fb.Invite(e.ctx, domain.FeedbackTrigger{PatronID: e.alice.PatronID, Kind: domain.FeedbackRenewal, Ref: l.LoanID, Channel: domain.ChannelWeb})
	must(t, err)
	web := e.patronCtx(domain.ChannelWeb)
	named, err := e.fb.Answer(web, feedback.AnswerRequest{PatronID: e.alice.PatronID, InvitationID: inv.InvitationID, Score: ip(5), NPS: ip(10), Comment: "Quick"})
	must(t, err)
	if _, err := e.fb.Answer(web, feedback.AnswerRequest{PatronID: e.alice.PatronID, InvitationID: inv.InvitationID, Score: ip(5)}); err != feedback.ErrNotOpen {
		t.Fatalf("second answer to one invitation: %v", err)
	}
	kiosk := e.patronCtx(domain.ChannelKiosk)
	for _, s := range [][2]int{{2, 3}, {4, 8}} {
		_, err := e.fb.Answer(kiosk, feedback.AnswerRequest{Anonymous: true, Channel: domain.ChannelKiosk, Score: ip(s[0]), NPS: ip(s[1])})
		must(t, err)
	}
	for _, bad := range []feedback.AnswerRequest{{}, {Score: ip(0)}, {Score: ip(6)}, {NPS: ip(11)}, {NPS: ip(-1)}} {
		if _, err := e.fb.Answer(web, bad); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("bad answer %+v: %v", bad, err)
		}
	}
	res, err := e.fb.Results(e.ctx, feedback.ResultsFilter{LibraryID: "MAIN"})
	must(t, err)
	if len(res) != 2 {
		t.Fatalf("results = %+v", res)
	}
	k, w := res[0], res[1] // kiosk < web
	if k.Channel != domain.ChannelKiosk || k.Week != "2026-W48" || k.Answers != 2 || *k.NPS != -50 || *k.CSAT != 50 || k.ResponseRate != nil {
		t.Errorf("kiosk cell = %+v", k)
	}
	if w.Channel != domain.ChannelWeb || w.Answers != 1 || w.Invitations != 1 || *w.NPS != 100 || *w.CSAT != 100 || *w.ResponseRate != 100 {
		t.Errorf("web cell = %+v", w)
	}
	if res, _ := e.fb.Results(e.ctx, feedback.ResultsFilter{LibraryID: "EAST"}); len(res) != 0 {
		t.Errorf("EAST results = %+v", res)
	}
	if res, _ := e.fb.Results(e.ctx, feedback.ResultsFilter{From: "2026-11-24"}); len(res) != 0 {
		t.Errorf("results from the next day = %+v", res)
	}

	_, err = e.fb.Reply(e.ctx, named.AnswerID, "Thank you, Alice!")
	must(t, err)
	mine, err := e.fb.PatronAnswers(e.ctx, e.alice.PatronID)
	must(t, err)
	if len(mine) != 1 || len(mine[0].Replies) != 1 || mine[0].Replies[0].Text != "Thank you, Alice!" || mine[0].Replies[0].Staff != "admin" {
		t.Fatalf("patron's answers = %+v", mine)
	}

	entry, err := e.fb.PutEntry(e.ctx, domain.YouSaidWeDid{SaidEN: "More seats", SaidFI: "Lisää istumapaikkoja", DidEN: "Added ten", DidFI: "Lisäsimme kymmenen"})
	must(t, err)
	if pub, _ := e.fb.Entries(e.ctx, feedback.YSWDFilter{PublishedOnly: true}); len(pub) != 0 {
		t.Fatalf("draft published: %+v", pub)
	}
	if _, err := e.fb.PutEntry(e.ctx, domain.YouSaidWeDid{SaidEN: "x"}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("entry without Finnish: %v", err)
	}

	// A second node edits the same entry concurrently; the later write wins
	// on both.
	e2 := branchtest.Open(t, branchtest.Options{Node: 2, Clock: e.Clock})
	fb2 := feedback.New(e2.Service, feedback.Config{})
	branchtest.Exchange(t, e.Service, e2.Service)
	entry.Published = true
	_, err = e.fb.PutEntry(e.ctx, *entry)
	must(t, err)
	e.Clock.Advance(time.Second)
	later := *entry
	later.DidEN = "Added twelve"
	_, err = fb2.PutEntry(e.ctx, later)
	must(t, err)
	branchtest.Exchange(t, e.Service, e2.Service)
	branchtest.Exchange(t, e2.Service, e.Service)
	for i, f := range []*feedback.Service{e.fb, fb2} {
		pub, err := f.Entries(e.ctx, feedback.YSWDFilter{PublishedOnly: true})
		must(t, err)
		if len(pub) != 1 || pub[0].DidEN != "Added twelve" {
			t.Errorf("node %d entries = %+v", i+1, pub)
		}
	}
	tables := feedback.Capability().StateTables
	h1, err := replicate.StateHash(e.ctx, e.DB.Read(), tables)
	must(t, err)
	h2, err := replicate.StateHash(e.ctx, e2.DB.Read(), tables)
	must(t, err)
	if h1 != h2 {
		t.Fatal("feedback tables differ between the nodes")
	}
	must(t, e.fb.DeleteEntry(e.ctx, entry.EntryID))
	if all, _ := e.fb.Entries(e.ctx, feedback.YSWDFilter{}); len(all) != 0 {
		t.Fatalf("deleted entry listed: %+v", all)
	}
}
