package sip2_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/handoff"
	"stacks/hardware/sip2"
)

// handoffCodes adapts branch/handoff to the ACS, as node does.
type handoffCodes struct{ h *handoff.Service }

func (a handoffCodes) IsHandoffCode(s string) bool { return handoff.LooksLike(s) }

func (a handoffCodes) RedeemHandoff(ctx context.Context, code string) (string, string, error) {
	r, err := a.h.Redeem(ctx, code)
	if handoff.IsUnknown(err) {
		return "", "", sip2.ErrNoSuchHandoff
	}
	if err != nil {
		return "", "", err
	}
	return r.PatronID, r.Intent, nil
}

func (a handoffCodes) PickupReadyHolds(ctx context.Context, patronID string) (done []string, refused []error, err error) {
	ps, err := a.h.PickupReadyHolds(ctx, patronID)
	for _, p := range ps {
		if p.Refusal != nil {
			refused = append(refused, p.Refusal)
		} else {
			done = append(done, p.Title)
		}
	}
	return done, refused, err
}

// TestHandoffCodeAtKiosk: a "pick up my ready holds" code typed in place
// of the card (AA) of patron status (23) signs the patron in and checks
// out their ready hold, saying so on the screen (AF); the same code again
// in a new session is refused; a "log me in" code typed in place of the
// PIN (AD) of a checkout (11) lets it go ahead without the PIN; a code
// made for another card is refused there; an unknown code in AD is tried
// as the PIN.
func TestHandoffCodeAtKiosk(t *testing.T) {
	var h *handoff.Service
	e := newEnv(t, func(c *sip2.Config) {
		var err error
		h, err = handoff.New(c.Library.(*branch.Service), handoff.Config{Key: bytes.Repeat([]byte{9}, 32)})
		must(t, err)
		c.Handoff = handoffCodes{h: h}
	})
	cat := e.pats["21000003"]
	patron := domain.WithActor(context.Background(), domain.Actor{ID: "patron:" + cat.PatronID, Role: domain.RolePatron, Channel: domain.ChannelWeb})
	e.hold("21000003", "39000005", "MAIN")
	e.lend("21000001", "39000005")
	if _, err := e.svc.Checkin(e.desk, branchCheckin("39000005")); err != nil { // trapped for Cat: ready
		t.Fatal(err)
	}
	pickup, err := h.Issue(patron, cat.PatronID, handoff.IntentPickupHolds)
	must(t, err)

	c := e.dial()
	c.login()
	c.send(withAZ("2300020261123    100000AOSTACKS|AA"+pickup.QR+"|AC|AY1AZ####") + "\r")
	got := c.read()
	if !strings.HasPrefix(got, "24") || !strings.Contains(got, "|AA21000003|") || !strings.Contains(got, "AFChecked out your holds: Middlemarch.") {
		t.Fatalf("patron status with a pickup code: %q", got)
	}
	loan, err := e.svc.OpenLoan(e.desk, e.items["39000005"].ItemID)
	if err != nil || loan.PatronID != cat.PatronID {
		t.Fatalf("the ready hold was not checked out: %+v %v", loan, err)
	}
	// The same code, in the same session, still names Cat (kiosks send AA
	// with every message) and checks out nothing more.
	c.send(withAZ("2300020261123    100000AOSTACKS|AA"+pickup.QR+"|AC|AY2AZ####") + "\r")
	if got := c.read(); !strings.Contains(got, "|AA21000003|") || strings.Contains(got, "Checked out") {
		t.Errorf("again in the session: %q", got)
	}
	// In a new session the code is used up.
	c2 := e.dial()
	c2.login()
	c2.send(withAZ("2300020261123    100000AOSTACKS|AA"+pickup.Code+"|AC|AY1AZ####") + "\r")
	if got := c2.read(); !strings.Contains(got, "AFThis handoff code has already been used.") {
		t.Errorf("used code: %q", got)
	}

	// A login code in place of the PIN lets a checkout go ahead.
	login, err := h.Issue(patron, cat.PatronID, handoff.IntentKioskLogin)
	must(t, err)
	c3 := e.dial()
	c3.login()
	c3.send(withAZ("11YN20261123    100000                  AOSTACKS|AA21000003|AB39000004|AC|AD"+login.Code+"|AY3AZ####") + "\r")
	if got := c3.read(); !strings.HasPrefix(got, "121") {
		t.Errorf("checkout with a login code as the PIN: %q", got)
	}
	// Another card's code in the PIN field is refused.
	other, err := h.Issue(patron, cat.PatronID, handoff.IntentKioskLogin)
	must(t, err)
	c4 := e.dial()
	c4.login()
	c4.send(withAZ("11YN20261123    100000                  AOSTACKS|AA21000001|AB39000006|AC|AD"+other.Code+"|AY4AZ####") + "\r")
	if got := c4.read(); !strings.HasPrefix(got, "120") || !strings.Contains(got, "another card") {
		t.Errorf("another card's code: %q", got)
	}
	// A PIN shaped like a code, never made as one, is tried as the PIN.
	pin := "ABCD2345"
	_, err = e.svc.UpdatePatron(e.desk, e.pats["21000001"].PatronID, domain.PatronUpdate{PIN: &pin})
	must(t, err)
	c5 := e.dial()
	c5.login()
	c5.send(withAZ("11YN20261123    100000                  AOSTACKS|AA21000001|AB39000006|AC|AD"+pin+"|AY5AZ####") + "\r")
	if got := c5.read(); !strings.HasPrefix(got, "121") {
		t.Errorf("a PIN that looks like a code: %q", got)
	}
}
