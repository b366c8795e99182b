package tui_test

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/node/client/clienttest"
	"stacks/tui/pages/verify"
)

// TestVerifyQueue: F7 lists the patrons who registered on the web; one is
// verified into ADULT, the other rejected (blocked with the reason).
func TestVerifyQueue(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	svc := srv.Service
	if err := svc.SetCategory(srv.Admin, domain.Category{Category: domain.CategorySelfRegistered, EnrolmentMonths: 3}); err != nil {
		t.Fatal(err)
	}
	web := domain.WithActor(context.Background(), domain.Actor{ID: "web", Channel: domain.ChannelWeb})
	var ids []string
	for _, np := range []domain.NewPatron{
		{Firstname: "Cora", Surname: "Case", DateOfBirth: "1988-04-01", Email: "cora@example.org", Address: "1 Elm St"},
		{Firstname: "Ned", Surname: "Nobody", DateOfBirth: "1970-01-01", Phone: "+358 40 123 4567"},
	} {
		np.PIN, np.SelfRegistered, np.Cardnumber = "2468", true, ""
		p, err := svc.RegisterPatron(web, np)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.PatronID)
	}
	d := newDeskOn(t, srv, "super", deskOpts{w: 100, h: 24})
	d.key(tea.KeyF7)
	d.golden("verify_queue", d.waitFor("Self-registrations to verify (2)", "Case, Cora", "Nobody, Ned", "cora@example.org"))
	d.runes("v")
	d.waitFor("Verify Cora Case", "ADULT")
	d.key(tea.KeyEnter)
	d.waitFor("Verified Cora Case", "now ADULT.", "Self-registrations to verify (1)")
	d.runes("x")
	d.waitFor("Reject Ned Nobody")
	d.typeText("no such address")
	d.golden("verify_reject", d.screen())
	d.key(tea.KeyEnter)
	d.waitFor("Rejected Ned Nobody", "Nobody is waiting.")

	ctx := srv.Admin
	cora, err := svc.Patron(ctx, ids[0])
	if err != nil || cora.Category != "ADULT" {
		t.Fatalf("verified %+v %v", cora, err)
	}
	ned, err := svc.Patron(ctx, ids[1])
	if err != nil || !ned.Blocked || ned.BlockReason != verify.RejectPrefix+"no such address" {
		t.Fatalf("rejected %+v %v", ned, err)
	}
}

// TestVerifyQueueClerk: a clerk may verify but not reject (blocking is a
// supervisor's).
func TestVerifyQueueClerk(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	if err := srv.Service.SetCategory(srv.Admin, domain.Category{Category: domain.CategorySelfRegistered, EnrolmentMonths: 3}); err != nil {
		t.Fatal(err)
	}
	web := domain.WithActor(context.Background(), domain.Actor{ID: "web", Channel: domain.ChannelWeb})
	if _, err := srv.Service.RegisterPatron(web, domain.NewPatron{Firstname: "Cora", Surname: "Case", DateOfBirth: "1988-04-01",
		Email: "cora@example.org", PIN: "2468", SelfRegistered: true}); err != nil {
		t.Fatal(err)
	}
	d := newDeskOn(t, srv, "clerk", deskOpts{})
	d.key(tea.KeyF7)
	d.waitFor("Case, Cora")
	d.runes("x")
	d.waitFor("Your role (circulation) may not reject registrations.")
}
