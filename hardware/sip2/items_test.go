package sip2_test

import (
	"context"
	"strings"
	"testing"

	"stacks/branch"
	"stacks/branch/domain"
)

// TestItemStatusUpdateIsTheKiosks: 19 stores the properties as one item.set
// op of the kiosk's account through the kiosk channel, as other kiosk
// transactions are; refused 19s (not signed in, unknown item, too long, no
// CH) change nothing.
func TestItemStatusUpdateIsTheKiosks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.dial()
	req := func(s string) string {
		t.Helper()
		c.send(withAZ(s) + "\r")
		return c.read()
	}
	before, err := e.svc.StateHash(ctx)
	must(t, err)
	refused := []string{
		"1920261123    100000AOSTACKS|AB39000003|AC|CHsecurity case|AY1AZ####",
		"LOGIN",
		"1920261123    100000AOSTACKS|AB00000000|AC|CHsecurity case|AY2AZ####",
		"1920261123    100000AOSTACKS|AB39000003|AC|CH" + strings.Repeat("x", domain.MaxItemProperties+1) + "|AY3AZ####",
		"1920261123    100000AOSTACKS|AB39000003|AC|CHtwo\tdiscs|AY4AZ####",
		"1920261123    100000AOSTACKS|AB39000003|AC|AY5AZ####",
	}
	for _, r := range refused {
		if r == "LOGIN" {
			c.login()
			continue
		}
		if got := req(r); !strings.HasPrefix(got, "200") || !strings.Contains(got, "|AF") {
			t.Errorf("%.60q: %q, want a refusal (20, 0) with a reason", r, got)
		}
	}
	after, err := e.svc.StateHash(ctx)
	must(t, err)
	if after != before {
		t.Fatalf("refused 19s changed the state")
	}

	got := req("1920261123    100000AOSTACKS|AB39000003|AC|CHDVD 2 discs, booklet|AY6AZ####")
	if !strings.HasPrefix(got, "201") || !strings.Contains(got, "|CHDVD 2 discs, booklet|") {
		t.Fatalf("19: %q", got)
	}
	it, err := e.svc.ItemByBarcode(ctx, "39000003")
	must(t, err)
	if it.Properties != "DVD 2 discs, booklet" {
		t.Fatalf("stored properties %q", it.Properties)
	}
	ops, err := e.svc.Log().AllOps(ctx)
	must(t, err)
	last := ops[len(ops)-1]
	if last.Kind != branch.KindItemSet || last.Actor != "kiosk1" || last.Channel != string(domain.ChannelKiosk) ||
		!strings.Contains(string(last.Payload), `"properties":"DVD 2 discs, booklet"`) {
		t.Fatalf("last op: %s by %s through %s: %s", last.Kind, last.Actor, last.Channel, last.Payload)
	}
}
