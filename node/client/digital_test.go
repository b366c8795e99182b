package client_test

import (
	"context"
	"errors"
	"testing"

	"stacks/branch/digital"
	"stacks/branch/domain"
	"stacks/node/client"
	"stacks/node/client/clienttest"
)

func TestDigital(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	ctx := context.Background()
	admin := newClient(t, srv.URL, "admin", "admin")
	alice, bob := srv.Patrons["Alice"], srv.Patrons["Bob"]
	b, err := srv.Service.AddBiblio(srv.Admin, domain.NewBiblio{Title: "Digital Hobbit", Format: "ebook"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AddLicence(ctx, domain.NewLicence{BiblioID: b.BiblioID, Copies: 1, ExpiresOn: "2099-12-31"}); err != nil {
		t.Fatal(err)
	}
	ls, err := admin.Licences(ctx, b.BiblioID)
	if err != nil || len(ls) != 1 || ls[0].ExpiresOn != "2099-12-31" {
		t.Fatalf("licences %+v %v", ls, err)
	}
	got, err := admin.BorrowDigital(ctx, domain.DigitalRequest{PatronID: alice.PatronID, BiblioID: b.BiblioID})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := client.New(client.Config{BaseURL: srv.URL, Language: "fi"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = fi.WithLogin("admin", "admin").BorrowDigital(ctx, domain.DigitalRequest{PatronID: bob.PatronID, BiblioID: b.BiblioID})
	var ce *client.Error
	if domain.ErrorCode(err) != domain.CodeNoLicenceFree || !errors.As(err, &ce) || ce.Detail != digital.Text("fi", "no_licence_free", 1, b.Title) {
		t.Fatalf("Finnish refusal: %v", err)
	}
	hr, err := admin.PlaceDigitalHold(ctx, domain.DigitalRequest{PatronID: bob.PatronID, BiblioID: b.BiblioID})
	if err != nil || hr.Hold.Position != 1 {
		t.Fatalf("hold %+v %v", hr, err)
	}
	if q, err := admin.DigitalQueue(ctx, b.BiblioID); err != nil || len(q) != 1 {
		t.Fatalf("queue %v %v", q, err)
	}
	if _, err := admin.RenewDigital(ctx, got.Loan.LoanID); domain.ErrorCode(err) != domain.CodeRenewalBlocked {
		t.Fatalf("renew with a queue: %v", err)
	}
	if _, err := admin.CancelDigitalHold(ctx, hr.Hold.HoldID); err != nil {
		t.Fatal(err)
	}
	if hs, err := admin.PatronDigitalHolds(ctx, bob.PatronID); err != nil || len(hs) != 0 {
		t.Fatalf("Bob's holds %v %v", hs, err)
	}
	if r, err := admin.RenewDigital(ctx, got.Loan.LoanID); err != nil || r.Loan.Renewals != 1 {
		t.Fatalf("renew %+v %v", r, err)
	}
	if r, err := admin.ReturnDigital(ctx, got.Loan.LoanID); err != nil || r.Loan.ReturnedAt == "" {
		t.Fatalf("return %+v %v", r, err)
	}
	if l, err := admin.DigitalLoan(ctx, got.Loan.LoanID); err != nil || l.ReturnReason != digital.ReasonReturned {
		t.Fatalf("loan %+v %v", l, err)
	}
}
