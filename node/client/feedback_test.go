package client_test

import (
	"context"
	"testing"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/node/client"
	"stacks/node/client/clienttest"
)

func ptr(v int) *int { return &v }

// TestFeedbackAPI: a kiosk invites the patron at the end of a session,
// the patron answers there anonymously and on the web by name; staff read
// the results and answers and reply; the patron reads the reply; the
// library publishes a "you said, we did" entry. Who may do what is checked.
func TestFeedbackAPI(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	ctx := context.Background()
	_, err := srv.Service.SetStaff(srv.Admin, domain.NewStaff{Username: "kiosk1", DisplayName: "Kiosk 1", Role: domain.RoleKiosk,
		BranchID: "MAIN", Password: "kiosk1"})
	if err != nil {
		t.Fatal(err)
	}
	kiosk := newClient(t, srv.URL, "kiosk1", "kiosk1")
	admin := newClient(t, srv.URL, "admin", "admin")
	clerk := newClient(t, srv.URL, "clerk", "clerk")
	anon := newClient(t, srv.URL, "", "")
	card := srv.Patrons["Alice"].Cardnumber

	// The kiosk session lent a book: the patron is invited once.
	if _, err := kiosk.Checkout(ctx, domain.CheckoutRequest{Cardnumber: card, Barcode: "E0001"}); err != nil {
		t.Fatal(err)
	}
	inv, err := kiosk.InviteFeedback(ctx, apitype.FeedbackInviteRequest{Cardnumber: card, Kind: domain.FeedbackKioskSession})
	if err != nil || !inv.Invited || inv.Invitation.Channel != domain.ChannelKiosk {
		t.Fatalf("invitation %+v %v", inv, err)
	}
	if again, err := kiosk.InviteFeedback(ctx, apitype.FeedbackInviteRequest{Cardnumber: card, Kind: domain.FeedbackKioskSession}); err != nil || again.Invited {
		t.Fatalf("second invitation %+v %v", again, err)
	}
	if err := kiosk.CloseFeedbackInvitation(ctx, inv.Invitation.InvitationID, card); err != nil {
		t.Fatal(err)
	}
	a, err := kiosk.SendFeedback(ctx, apitype.FeedbackRequest{Score: ptr(4), NPS: ptr(9), Comment: "Fast kiosk", Anonymous: true,
		InvitationID: inv.Invitation.InvitationID, Cardnumber: card})
	if err != nil || !a.Anonymous || a.PatronID != "" || a.Channel != domain.ChannelKiosk || a.Kind != domain.FeedbackKioskSession {
		t.Fatalf("kiosk answer %+v %v", a, err)
	}

	// The patron answers on the web, by name.
	me, _, err := anon.PatronLogin(ctx, card, "1234")
	if err != nil {
		t.Fatal(err)
	}
	named, err := me.SendFeedback(ctx, apitype.FeedbackRequest{Score: ptr(2), NPS: ptr(6), Comment: "Too few chairs", Channel: domain.ChannelWeb})
	if err != nil || named.PatronID != srv.Patrons["Alice"].PatronID || named.Channel != domain.ChannelWeb {
		t.Fatalf("named answer %+v %v", named, err)
	}
	if _, err := me.SendFeedback(ctx, apitype.FeedbackRequest{Score: ptr(9)}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("score 9: %v", err)
	}
	if _, err := anon.SendFeedback(ctx, apitype.FeedbackRequest{Score: ptr(5)}); !client.IsNotPermitted(err) {
		t.Fatalf("answer without a login: %v", err)
	}

	// Staff read the figures and the answers and reply to the named one.
	res, err := admin.FeedbackResults(ctx, "MAIN", "", "")
	if err != nil || len(res) != 2 {
		t.Fatalf("results %+v %v", res, err)
	}
	for _, r := range res {
		switch r.Channel {
		case domain.ChannelKiosk:
			if *r.NPS != 100 || *r.CSAT != 100 || *r.ResponseRate != 100 {
				t.Errorf("kiosk %+v", r)
			}
		case domain.ChannelWeb:
			if *r.NPS != -100 || *r.CSAT != 0 || r.ResponseRate != nil {
				t.Errorf("web %+v", r)
			}
		}
	}
	if _, err := admin.FeedbackResults(ctx, "", "not-a-date", ""); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("bad from: %v", err)
	}
	as, err := clerk.FeedbackAnswers(ctx, "MAIN", true, 10)
	if err != nil || len(as) != 2 {
		t.Fatalf("answers %+v %v", as, err)
	}
	if _, err := kiosk.FeedbackAnswers(ctx, "", false, 0); !client.IsNotPermitted(err) {
		t.Fatalf("a kiosk read the answers: %v", err)
	}
	if _, err := clerk.ReplyFeedback(ctx, a.AnswerID, "Thanks"); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("reply to the anonymous answer: %v", err)
	}
	if _, err := clerk.ReplyFeedback(ctx, named.AnswerID, "We ordered ten more chairs."); err != nil {
		t.Fatal(err)
	}
	mine, err := me.MyFeedback(ctx)
	if err != nil || len(mine.Answers) != 1 || len(mine.Answers[0].Replies) != 1 || mine.Answers[0].Replies[0].Text != "We ordered ten more chairs." {
		t.Fatalf("patron's feedback %+v %v", mine, err)
	}

	// "You said, we did": a supervisor's job, read by anyone once published.
	if _, err := clerk.PutYouSaidWeDid(ctx, domain.YouSaidWeDid{SaidEN: "a", SaidFI: "a", DidEN: "b", DidFI: "b"}); !client.IsNotPermitted(err) {
		t.Fatalf("clerk wrote an entry: %v", err)
	}
	e, err := admin.PutYouSaidWeDid(ctx, domain.YouSaidWeDid{SaidEN: "Too few chairs", SaidFI: "Liian vähän tuoleja",
		DidEN: "Ten more chairs", DidFI: "Kymmenen tuolia lisää", Published: true})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := anon.YouSaidWeDid(ctx)
	if err != nil || len(pub) != 1 || pub[0].SaidFI != "Liian vähän tuoleja" {
		t.Fatalf("public entries %+v %v", pub, err)
	}
	e.Published = false
	if _, err := admin.PutYouSaidWeDid(ctx, *e); err != nil {
		t.Fatal(err)
	}
	if pub, _ := anon.YouSaidWeDid(ctx); len(pub) != 0 {
		t.Fatalf("unpublished entry shown: %+v", pub)
	}
	if all, err := admin.AllYouSaidWeDid(ctx); err != nil || len(all) != 1 {
		t.Fatalf("all entries %+v %v", all, err)
	}
	if err := admin.DeleteYouSaidWeDid(ctx, e.EntryID); err != nil {
		t.Fatal(err)
	}
}
