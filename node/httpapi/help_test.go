package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"stacks/branch/domain"
)

type helpCreated struct {
	ID       string `json:"help_request_id"`
	BranchID string `json:"library_id"`
	Status   string `json:"status"`
}

// TestHelpRequestsAPI: a kiosk asks (with a card and anonymously), a
// patron asks on the web; each lands in the right branch's queue; staff
// claim, answer, close; the asker reads the answer; others may not.
func TestHelpRequestsAPI(t *testing.T) {
	f := newFixture(t)
	alice, carol := f.patrons["Alice"], f.patrons["Carol"]
	asCarol, asAlice := bearer(f.patronToken(carol)), bearer(f.patronToken(alice))

	var k, anon, web helpCreated
	f.do("POST", "/api/v1/help_requests", map[string]string{"message": "The scanner beeps", "cardnumber": card(alice), "location": "Entrance kiosk"}, asKiosk).
		want(t, http.StatusCreated, &k)
	f.do("POST", "/api/v1/help_requests", map[string]string{"message": "Where are the toilets?"}, asKiosk).want(t, http.StatusCreated, &anon)
	f.do("POST", "/api/v1/help_requests", map[string]string{"message": "Can I renew a renewed book?", "channel": "web"}, asCarol).
		want(t, http.StatusCreated, &web)
	if k.BranchID != "MAIN" || anon.BranchID != "MAIN" || web.BranchID != "EAST" || k.Status != "open" {
		t.Fatalf("routed: kiosk %+v, anonymous %+v, web %+v", k, anon, web)
	}
	// Refusals: no login, staff asking, bad channel, empty message, unknown card.
	f.do("POST", "/api/v1/help_requests", map[string]string{"message": "hi"}, asAnon).wantProblem(t, http.StatusUnauthorized, "login_required")
	f.do("POST", "/api/v1/help_requests", map[string]string{"message": "hi"}, asClerk).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("POST", "/api/v1/help_requests", map[string]string{"message": "hi", "channel": "kiosk", "cardnumber": card(alice)}, asClerk).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("POST", "/api/v1/help_requests", map[string]string{"message": "hi", "channel": "kiosk"}, asCarol).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("POST", "/api/v1/help_requests", map[string]string{"message": " "}, asKiosk).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("POST", "/api/v1/help_requests", map[string]string{"message": "hi", "cardnumber": "nope"}, asKiosk).wantProblem(t, http.StatusNotFound, "patron_not_found")

	var open []domain.HelpRequest
	f.do("GET", "/api/v1/help_requests?status=open&library_id=MAIN", nil, asClerk).want(t, http.StatusOK, &open)
	if len(open) != 2 || open[0].RequestID != k.ID || open[0].Location != "Entrance kiosk" || open[0].PatronID != alice.PatronID ||
		open[1].Location != "demo-kiosk" || open[1].PatronID != "" {
		t.Fatalf("MAIN's open queue: %+v", open)
	}
	f.do("GET", "/api/v1/help_requests?status=open", nil, asKiosk).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("GET", "/api/v1/help_requests?status=nonsense", nil, asClerk).wantProblem(t, http.StatusBadRequest, "invalid")

	f.clock.Advance(45 * time.Second)
	var hr domain.HelpRequest
	f.do("POST", "/api/v1/help_requests/"+k.ID+"/claim", nil, asClerk).want(t, http.StatusOK, &hr)
	if hr.Status != "claimed" || hr.ClaimedBy != "clerk" {
		t.Fatalf("claimed: %+v", hr)
	}
	f.do("POST", "/api/v1/help_requests/"+k.ID+"/claim", nil, asSuper).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("POST", "/api/v1/help_requests/"+k.ID+"/claim", nil, asKiosk).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.clock.Advance(15 * time.Second)
	f.do("POST", "/api/v1/help_requests/"+k.ID+"/answers", map[string]string{"text": "Coming to you now."}, asClerk).want(t, http.StatusOK, &hr)
	// The kiosk that asked reads the answer and replies.
	f.do("GET", "/api/v1/help_requests/"+k.ID, nil, asKiosk).want(t, http.StatusOK, &hr)
	if hr.Status != "answered" || len(hr.Messages) != 1 || hr.Messages[0].Text != "Coming to you now." || hr.Awaiting != "patron" {
		t.Fatalf("the kiosk reads: %+v", hr)
	}
	f.do("POST", "/api/v1/help_requests/"+k.ID+"/replies", map[string]string{"text": "Thanks!"}, asKiosk).want(t, http.StatusOK, &hr)
	if len(hr.Messages) != 2 || hr.Messages[1].From != "patron" || hr.Awaiting != "staff" {
		t.Fatalf("after the reply: %+v", hr)
	}
	// Alice (the patron at the kiosk) may read it; Carol may not.
	f.do("GET", "/api/v1/help_requests/"+k.ID, nil, asAlice).want(t, http.StatusOK, &hr)
	f.do("GET", "/api/v1/help_requests/"+k.ID, nil, asCarol).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("GET", "/api/v1/help_requests/"+web.ID, nil, asKiosk).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("GET", "/api/v1/help_requests/nope", nil, asClerk).wantProblem(t, http.StatusNotFound, "not_found")
	f.clock.Advance(60 * time.Second)
	f.do("POST", "/api/v1/help_requests/"+k.ID+"/close", nil, asClerk).want(t, http.StatusOK, &hr)
	if hr.Status != "closed" || hr.ClosedBy != "clerk" {
		t.Fatalf("closed: %+v", hr)
	}
	f.do("POST", "/api/v1/help_requests/"+k.ID+"/replies", map[string]string{"text": "more"}, asKiosk).wantProblem(t, http.StatusBadRequest, "invalid")

	// MAIN's desk takes Carol's EAST request over.
	f.do("POST", "/api/v1/help_requests/"+web.ID+"/claim", nil, asClerk).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("POST", "/api/v1/help_requests/"+web.ID+"/takeover", nil, asClerk).want(t, http.StatusOK, &hr)
	if hr.BranchID != "MAIN" || hr.RoutedBranch != "EAST" || hr.ClaimedBy != "clerk" {
		t.Fatalf("taken over: %+v", hr)
	}
	// Carol reads her own request and closes it.
	f.do("GET", "/api/v1/help_requests/"+web.ID, nil, asCarol).want(t, http.StatusOK, &hr)
	f.do("POST", "/api/v1/help_requests/"+web.ID+"/close", nil, asCarol).want(t, http.StatusOK, &hr)

	var st []domain.HelpStat
	f.do("GET", "/api/v1/help_requests/stats?from=2025-03-03&to=2025-03-03", nil, asClerk).want(t, http.StatusOK, &st)
	want := domain.HelpStat{BranchID: "MAIN", Channel: "kiosk", Requests: 2, Answered: 1, Closed: 1,
		FirstResponseMeanSec: 60, FirstResponseMedianSec: 60, CloseMeanSec: 120, CloseMedianSec: 120}
	if len(st) != 2 || st[0] != want || st[1].Channel != "web" || st[1].BranchID != "MAIN" || st[1].Closed != 1 {
		t.Errorf("stats: %+v", st)
	}
	f.do("GET", "/api/v1/help_requests/stats?from=yesterday", nil, asClerk).wantProblem(t, http.StatusBadRequest, "invalid")
}
