package client_test

import (
	"context"
	"testing"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/node/client/clienttest"
)

func TestHelpRequests(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	ctx := context.Background()
	if _, err := srv.Service.SetStaff(srv.Admin, domain.NewStaff{Username: "kiosk1", Role: domain.RoleKiosk, BranchID: "MAIN", Password: "kiosk1"}); err != nil {
		t.Fatal(err)
	}
	kiosk, clerk := newClient(t, srv.URL, "kiosk1", "kiosk1"), newClient(t, srv.URL, "clerk", "clerk")
	asked, err := kiosk.AskHelp(ctx, apitype.NewHelpRequest{Message: "Paper jam", Location: "Lobby"})
	if err != nil || asked.BranchID != "MAIN" || asked.Status != domain.HelpOpen {
		t.Fatalf("ask %+v %v", asked, err)
	}
	carol, _, err := newClient(t, srv.URL, "", "").PatronLogin(ctx, srv.Patrons["Carol"].Cardnumber, "1234")
	if err != nil {
		t.Fatal(err)
	}
	web, err := carol.AskHelp(ctx, apitype.NewHelpRequest{Message: "Lost my PIN", Channel: "web"})
	if err != nil || web.BranchID != "EAST" {
		t.Fatalf("web ask %+v %v", web, err)
	}
	open, err := clerk.HelpRequests(ctx, "open", "MAIN")
	if err != nil || len(open) != 1 || open[0].Location != "Lobby" {
		t.Fatalf("open %+v %v", open, err)
	}
	if _, err := clerk.ClaimHelp(ctx, asked.RequestID); err != nil {
		t.Fatal(err)
	}
	if _, err := clerk.AnswerHelp(ctx, asked.RequestID, "On my way"); err != nil {
		t.Fatal(err)
	}
	got, err := kiosk.HelpRequest(ctx, asked.RequestID)
	if err != nil || len(got.Messages) != 1 || got.Messages[0].Text != "On my way" {
		t.Fatalf("kiosk reads %+v %v", got, err)
	}
	if _, err := kiosk.ReplyHelp(ctx, asked.RequestID, "thanks"); err != nil {
		t.Fatal(err)
	}
	if r, err := clerk.CloseHelp(ctx, asked.RequestID); err != nil || r.Status != domain.HelpClosed {
		t.Fatalf("close %+v %v", r, err)
	}
	if r, err := clerk.TakeOverHelp(ctx, web.RequestID); err != nil || r.BranchID != "MAIN" {
		t.Fatalf("take over %+v %v", r, err)
	}
	mine, err := carol.MyHelpRequests(ctx)
	if err != nil || len(mine) != 1 || mine[0].RequestID != web.RequestID {
		t.Fatalf("Carol's %+v %v", mine, err)
	}
	st, err := clerk.HelpStats(ctx, "", "")
	if err != nil || len(st) != 2 {
		t.Fatalf("stats %+v %v", st, err)
	}
	if _, err := kiosk.HelpRequests(ctx, "open", ""); domain.ErrorCode(err) != domain.CodeNotPermitted {
		t.Fatalf("a kiosk lists the queue: %v", err)
	}
}
