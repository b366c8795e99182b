package web_test

import (
	"bytes"
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"stacks/branch"
	"stacks/branch/handoff"
	"stacks/node"
	"stacks/node/web"
)

var handoffKey = bytes.Repeat([]byte{3}, 32)

func withHandoff(h **handoff.Service) func(*web.Config) {
	return func(c *web.Config) {
		svc, err := handoff.New(c.Library.(*branch.Service), handoff.Config{Key: handoffKey})
		if err != nil {
			panic(err)
		}
		*h = svc
		c.Handoffs = node.WebHandoffs{H: svc}
	}
}

var typedCode = regexp.MustCompile(`class="cardno"[^>]*>([2-9A-Z]{4})-([2-9A-Z]{4})<`)

// TestHandoffPage: a patron makes a code for each intent, shown as a QR
// code and a typed code with its expiry, in English and Finnish; the code
// redeems once for that patron and that intent; a POST without CSRF makes
// none; a visitor must log in.
func TestHandoffPage(t *testing.T) {
	var h *handoff.Service
	l := newLib(t, withHandoff(&h))
	anon := l.browser()
	if p := anon.get("/account/handoff"); strings.Contains(p.body, `name="intent"`) {
		t.Fatal("the handoff form without a login")
	}
	b := l.browser()
	b.login(annCard, annPIN)
	p := b.get("/account/handoff")
	wantStatus(t, p, 200)
	wantIn(t, p, "Pick up my ready holds", "Pay at the desk", "Log in at the kiosk without my PIN", `href="/account/handoff"`)
	wantStatus(t, b.postRaw("/account/handoff", url.Values{"intent": {"pickup_holds"}}), 403)
	wantStatus(t, b.post("/account/handoff", url.Values{"intent": {"teleport"}}), 422)
	for _, lang := range []string{"en", "fi"} {
		b.lang = lang
		for _, intent := range handoff.Intents {
			b.get("/account/handoff")
			p = b.post("/account/handoff", url.Values{"intent": {intent}})
			wantStatus(t, p, 200)
			wantIn(t, p, "<svg", `class="qr"`)
			if strings.Contains(p.body, "handoff.") {
				t.Errorf("%s %s: a message key shows: %s", lang, intent, p.body)
			}
			m := typedCode.FindStringSubmatch(p.body)
			if m == nil {
				t.Fatalf("no typed code on the page:\n%s", p.body)
			}
			red, err := h.Redeem(context.Background(), m[1]+m[2])
			must(t, err)
			if red.PatronID != l.ann.PatronID || red.Intent != intent {
				t.Errorf("redeemed %+v", red)
			}
			if _, err := h.Redeem(context.Background(), m[1]+m[2]); err == nil {
				t.Error("a code redeemed twice")
			}
		}
	}
	wantIn(t, p, "Voimassa klo")
}
