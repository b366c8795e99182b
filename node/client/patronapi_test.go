package client_test

import (
	"context"
	"testing"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/node/client"
	"stacks/node/client/clienttest"
)

// TestPatronAPIClient: a patron logs in and works their own account
// through the client's patron API methods.
func TestPatronAPIClient(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	ctx := context.Background()
	anon := newClient(t, srv.URL, "", "")
	if _, _, err := anon.PatronLogin(ctx, "21000000000001", "0000"); err == nil {
		t.Fatal("a wrong PIN logged in")
	}
	me, s, err := anon.PatronLogin(ctx, "21000000000001", "1234")
	if err != nil {
		t.Fatal(err)
	}
	if s.Patron.Firstname != "Alice" {
		t.Errorf("session %+v", s)
	}
	p, err := me.MyProfile(ctx)
	if err != nil || p.PatronID != s.Patron.PatronID {
		t.Fatalf("profile %+v %v", p, err)
	}
	email := "alice@example.net"
	if p, err = me.UpdateMyProfile(ctx, apitype.PatronProfileUpdate{Email: &email}); err != nil || p.Email != email {
		t.Fatalf("update %+v %v", p, err)
	}
	locs, err := me.PickupLocations(ctx)
	if err != nil || len(locs) == 0 {
		t.Fatalf("pickup locations %v %v", locs, err)
	}
	h, err := me.PlaceMyHold(ctx, apitype.PatronHoldRequest{BiblioID: srv.Biblios["Alien"].BiblioID, PickupBranch: locs[0].LibraryID})
	if err != nil {
		t.Fatal(err)
	}
	until := "2031-01-01"
	if h, err = me.UpdateMyHold(ctx, h.HoldID, apitype.PatronHoldUpdate{SuspendedUntil: &until}); err != nil || h.SuspendedUntil != until {
		t.Fatalf("suspend %+v %v", h, err)
	}
	hs, err := me.MyHolds(ctx)
	if err != nil || len(hs) != 1 {
		t.Fatalf("holds %v %v", hs, err)
	}
	if _, err := me.CancelMyHold(ctx, h.HoldID); err != nil {
		t.Fatal(err)
	}
	acct, err := me.MyAccount(ctx)
	if err != nil || acct.ID != p.PatronID || acct.TotalHolds != 0 {
		t.Fatalf("account %+v %v", acct, err)
	}
	loans, err := me.MyCheckouts(ctx)
	if err != nil || len(loans) != acct.TotalLoans {
		t.Fatalf("loans %v %v", loans, err)
	}
	rs, err := me.RenewAllMine(ctx)
	if err != nil || len(rs) != len(loans) {
		t.Fatalf("renew all %v %v", rs, err)
	}
	if _, err := me.MyCharges(ctx); err != nil {
		t.Fatal(err)
	}
	if h, err := me.SetMyReadingHistory(ctx, true); err != nil || !h.Enabled {
		t.Fatalf("history on: %+v %v", h, err)
	}
	if err := me.ClearMyReadingHistory(ctx); err != nil {
		t.Fatal(err)
	}
	if h, err := me.MyReadingHistory(ctx); err != nil || !h.Enabled || len(h.Entries) != 0 {
		t.Fatalf("history: %+v %v", h, err)
	}
	if m, err := me.SetMyMessagingPreferences(ctx, domain.MessagingPrefs{Channel: "sms", DaysInAdvance: 1, Notices: []string{"hold_ready"}}); err != nil || m.Channel != "sms" {
		t.Fatalf("messaging: %+v %v", m, err)
	}
	if m, err := me.MyMessagingPreferences(ctx); err != nil || m.Channel != "sms" || m.DaysInAdvance != 1 {
		t.Fatalf("messaging: %+v %v", m, err)
	}
	// A staff login is refused the patron API.
	clerk := newClient(t, srv.URL, "clerk", "clerk")
	if _, err := clerk.MyAccount(ctx); !client.IsNotPermitted(err) {
		t.Errorf("clerk: %v", err)
	}
}
