package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"stacks/branch/domain"
	"stacks/node/client"
	"stacks/node/client/clienttest"
)

func newClient(tb testing.TB, url, user, pass string) *client.Client {
	tb.Helper()
	c, err := client.New(client.Config{BaseURL: url})
	if err != nil {
		tb.Fatal(err)
	}
	if user != "" {
		c = c.WithLogin(user, pass)
	}
	return c
}

func TestConfigValidate(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://x", "http://"} {
		if _, err := client.New(client.Config{BaseURL: u}); err == nil {
			t.Errorf("New(%q): no error", u)
		}
	}
}

func TestMe(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		me, err := newClient(t, srv.URL, "super", "super").Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if me.Username != "super" || me.Role != domain.RoleSupervisor || me.Branch != "MAIN" || !me.CanOverride() {
			t.Errorf("me = %+v", me)
		}
	})
	t.Run("ErrBadCredentials", func(t *testing.T) {
		_, err := newClient(t, srv.URL, "super", "wrong").Me(ctx)
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized || ce.Code != "bad_credentials" {
			t.Fatalf("err = %#v", err)
		}
	})
	t.Run("ErrAnonymous", func(t *testing.T) {
		_, err := newClient(t, srv.URL, "", "").Me(ctx)
		if domain.ErrorCode(err) != "login_required" || !client.IsNotPermitted(err) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestLoginToken: Login trades a password for a session token, sent as
// Bearer from then on; the role's permissions come with Me.
func TestLoginToken(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	ctx := context.Background()
	anon := newClient(t, srv.URL, "", "")
	clerk, s, err := anon.Login(ctx, "clerk", "clerk")
	if err != nil {
		t.Fatal(err)
	}
	if s.Token == "" || s.Role != domain.RoleCirculation || s.Username != "clerk" || !s.ExpiresAt.After(clienttest.Start) {
		t.Errorf("session %+v", s)
	}
	if clerk.Username() != "clerk" {
		t.Errorf("username %q", clerk.Username())
	}
	me, err := clerk.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.Role != domain.RoleCirculation || me.CanOverride() || me.Can(domain.PermFeesWaive) || !me.Can(domain.PermCirculation) {
		t.Errorf("clerk me = %+v", me)
	}
	// A refusal for want of a permission names it.
	bob := srv.Patrons["Bob"].PatronID
	_, err = clerk.Waive(ctx, bob, domain.PaymentRequest{AmountCents: 100, Reason: "goodwill"})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusForbidden || ce.Permission != string(domain.PermFeesWaive) || !client.IsNotPermitted(err) {
		t.Fatalf("clerk waives: %#v", err)
	}
	super, _, err := anon.Login(ctx, "super", "super")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := super.Waive(ctx, bob, domain.PaymentRequest{AmountCents: 100, Reason: "goodwill"}); err != nil {
		t.Fatalf("supervisor waives: %v", err)
	}
	if _, _, err := anon.Login(ctx, "clerk", "wrong"); domain.ErrorCode(err) != "bad_credentials" {
		t.Fatalf("wrong password: %v", err)
	}
	// Anonymous callers see the catalogue but no patron.
	if _, err := anon.SearchBiblios(ctx, "dune", 5); err != nil {
		t.Errorf("anonymous catalogue search: %v", err)
	}
	if _, err := anon.PatronByCard(ctx, "21000000000001"); !client.IsNotPermitted(err) {
		t.Errorf("anonymous patron lookup: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	url := hs.URL
	hs.Close()
	err := newClient(t, url, "", "").Health(context.Background())
	if !client.IsUnreachable(err) {
		t.Fatalf("err = %v, want unreachable", err)
	}
}

func TestNonProblemAnswer(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer hs.Close()
	err := newClient(t, hs.URL, "", "").Health(context.Background())
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusBadGateway {
		t.Fatalf("err = %v", err)
	}
}

func TestCirculation(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	ctx := context.Background()
	clerk := newClient(t, srv.URL, "clerk", "clerk")
	super := newClient(t, srv.URL, "super", "super")

	t.Run("Checkout", func(t *testing.T) {
		co, err := clerk.Checkout(ctx, domain.CheckoutRequest{Cardnumber: "21000000000001", Barcode: "B0001"})
		if err != nil {
			t.Fatal(err)
		}
		if co.Title != "The Hobbit" || co.DueDate != "2025-03-24" || co.Cardnumber != "21000000000001" {
			t.Errorf("checkout = %+v", co)
		}
	})
	t.Run("ErrRefusedThenOverride", func(t *testing.T) {
		req := domain.CheckoutRequest{Cardnumber: "21000000000001", Barcode: "R0001"}
		_, err := clerk.Checkout(ctx, req)
		var ce *client.Error
		if !errors.As(err, &ce) || !ce.Overridable || ce.Status != http.StatusForbidden {
			t.Fatalf("err = %#v", err)
		}
		if !errors.Is(err, domain.ErrNotLoanable) {
			t.Errorf("errors.Is(%v, ErrNotLoanable) = false", err)
		}
		req.Override = &domain.Override{Reason: "for the exam"}
		if _, err := clerk.Checkout(ctx, req); domain.ErrorCode(err) != "override_not_permitted" {
			t.Errorf("clerk override: %v", err)
		}
		co, err := super.Checkout(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(co.Overridden) == 0 {
			t.Errorf("overridden = %v", co.Overridden)
		}
	})
	t.Run("CheckinTrapsHold", func(t *testing.T) {
		res, err := clerk.Checkin(ctx, domain.CheckinRequest{Barcode: "D0001"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Action != "hold_shelf" || res.HoldPatron == nil || res.HoldPatron.Firstname != "Bob" || res.FineCents != 225 {
			t.Errorf("checkin = %+v", res)
		}
	})
	t.Run("Renew", func(t *testing.T) {
		r, err := clerk.Renew(ctx, domain.RenewRequest{Barcode: "B0001"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Renewals != 1 {
			t.Errorf("renewal = %+v", r)
		}
		r, err = clerk.Renew(ctx, domain.RenewRequest{LoanID: r.LoanID})
		if err != nil || r.Renewals != 2 {
			t.Fatalf("renew by id: %+v %v", r, err)
		}
	})
	t.Run("ErrPatronNotFound", func(t *testing.T) {
		_, err := clerk.PatronByCard(ctx, "29999999999999")
		if !errors.Is(err, domain.ErrPatronNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestShelfAndConflicts(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{Conflict: true})
	ctx := context.Background()
	c := newClient(t, srv.URL, "admin", "admin")
	sh, err := c.HoldShelf(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sh.Ready) != 1 || len(sh.ToClear) != 1 || len(sh.ToPull) != 1 {
		t.Errorf("shelf: %d ready, %d to clear, %d to pull", len(sh.Ready), len(sh.ToClear), len(sh.ToPull))
	}
	cs, err := c.Conflicts(ctx, "open")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Kind != "duplicate_card" {
		t.Fatalf("conflicts = %+v", cs)
	}
	if ps := cs[0].Patrons; len(ps) != 2 || ps[0].Cardnumber != "21000000000009" || ps[0].Name == "" || ps[0].HomeBranch != "MAIN" {
		t.Fatalf("the conflict names %+v", ps)
	}
	got, err := c.ResolveConflict(ctx, cs[0].ConflictID, domain.Resolution{Action: "acknowledge", Note: "checked"})
	if err != nil || got.Status != "resolved" {
		t.Fatalf("resolve: %+v %v", got, err)
	}
	peers, err := c.Peers(ctx)
	if err != nil || len(peers) != 0 {
		t.Fatalf("peers: %v %v", peers, err)
	}
}

func TestPatrons(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	ctx := context.Background()
	c := newClient(t, srv.URL, "clerk", "clerk")
	ps, err := c.SearchPatrons(ctx, "baker", 10)
	if err != nil || len(ps) != 1 || ps[0].Firstname != "Bob" {
		t.Fatalf("search: %v %v", ps, err)
	}
	bob := ps[0]
	st, err := c.PatronStatus(ctx, bob.PatronID)
	if err != nil || st.BalanceCents != 300 || st.HoldsReady != 1 {
		t.Fatalf("status: %+v %v", st, err)
	}
	acct, err := c.Pay(ctx, bob.PatronID, domain.PaymentRequest{AmountCents: 100, Method: "cash"})
	if err != nil || acct.BalanceCents != 200 {
		t.Fatalf("pay: %+v %v", acct, err)
	}
	// Waivers and blocks are a supervisor's.
	if _, err := c.Waive(ctx, bob.PatronID, domain.PaymentRequest{AmountCents: 200, Reason: "goodwill"}); !client.IsNotPermitted(err) {
		t.Fatalf("a clerk waives: %v", err)
	}
	if _, err := c.BlockPatron(ctx, bob.PatronID, "test"); !client.IsNotPermitted(err) {
		t.Fatalf("a clerk blocks: %v", err)
	}
	c = newClient(t, srv.URL, "super", "super")
	acct, err = c.Waive(ctx, bob.PatronID, domain.PaymentRequest{AmountCents: 200, Reason: "goodwill"})
	if err != nil || acct.BalanceCents != 0 {
		t.Fatalf("waive: %+v %v", acct, err)
	}
	name := "Robert"
	p, err := c.UpdatePatron(ctx, bob.PatronID, domain.PatronUpdate{Firstname: &name})
	if err != nil || p.Firstname != "Robert" {
		t.Fatalf("update: %+v %v", p, err)
	}
	p, err = c.BlockPatron(ctx, bob.PatronID, "test")
	if err != nil || !p.Blocked {
		t.Fatalf("block: %+v %v", p, err)
	}
	p, err = c.UnblockPatron(ctx, bob.PatronID)
	if err != nil || p.Blocked {
		t.Fatalf("unblock: %+v %v", p, err)
	}
	np, err := c.RegisterPatron(ctx, domain.NewPatron{Firstname: "Fay", Surname: "Fox", Category: "ADULT", PIN: "4321"})
	if err != nil || np.Cardnumber == "" {
		t.Fatalf("register: %+v %v", np, err)
	}
	if _, err := c.RenewCard(ctx, np.PatronID); err != nil {
		t.Fatal(err)
	}
}
