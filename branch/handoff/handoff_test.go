package handoff_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/handoff"
	"stacks/replicate"
)

var key = []byte("0123456789abcdef0123456789abcdef")

func open(t *testing.T, node replicate.NodeID) (*branchtest.Env, *handoff.Service, context.Context) {
	t.Helper()
	env := branchtest.Open(t, branchtest.Options{Node: node})
	h, err := handoff.New(env.Service, handoff.Config{Key: key, Rand: bytes.NewReader(bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 250}, 100))})
	if err != nil {
		t.Fatal(err)
	}
	return env, h, branchtest.Admin(context.Background())
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func patron(t *testing.T, env *branchtest.Env, ctx context.Context) *domain.Patron {
	t.Helper()
	branchtest.SeedPolicy(t, ctx, env.Service)
	p, err := env.Service.RegisterPatron(ctx, domain.NewPatron{Cardnumber: "21000000000001", Surname: "Archer", Category: "ADULT", PIN: "1234"})
	must(t, err)
	return p
}

func TestIssueAndRedeemOnce(t *testing.T) {
	env, h, ctx := open(t, 1)
	p := patron(t, env, ctx)
	if _, err := h.Issue(ctx, p.PatronID, "teleport"); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("bad intent: %v", err)
	}
	code, err := h.Issue(ctx, p.PatronID, handoff.IntentPickupHolds)
	must(t, err)
	if len(code.Code) != handoff.CodeLen || code.QR != handoff.QRPrefix+code.Code || code.ExpiresAt == "" {
		t.Fatalf("code %+v", code)
	}
	for _, c := range code.Code {
		if !strings.ContainsRune(handoff.Alphabet, c) {
			t.Fatalf("code %q has %q", code.Code, c)
		}
	}
	// Typed in lower case with a dash, it still reads.
	typed := strings.ToLower(code.Code[:4] + "-" + code.Code[4:])
	r, err := h.Redeem(ctx, typed)
	must(t, err)
	if r.PatronID != p.PatronID || r.Intent != handoff.IntentPickupHolds {
		t.Errorf("redeemed %+v", r)
	}
	if _, err := h.Redeem(ctx, code.QR); err == nil || !strings.Contains(err.Error(), "already been used") {
		t.Errorf("second use: %v", err)
	}
	if _, err := h.Redeem(ctx, "22222222"); err == nil || !strings.Contains(err.Error(), "not a valid") {
		t.Errorf("unknown code: %v", err)
	}
	if _, err := h.Redeem(ctx, "21000000000001"); err == nil {
		t.Error("a card number was taken for a code")
	}
}

func TestExpired(t *testing.T) {
	env, h, ctx := open(t, 1)
	p := patron(t, env, ctx)
	code, err := h.Issue(ctx, p.PatronID, handoff.IntentKioskLogin)
	must(t, err)
	env.Clock.Advance(handoff.DefaultTTL)
	if _, err := h.Redeem(ctx, code.Code); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired: %v", err)
	}
}

// TestUsedCodeReplicates: once a code is used on one node, the use op
// reaches the other and it refuses the code too; the state hashes agree.
func TestUsedCodeReplicates(t *testing.T) {
	a, ha, ctx := open(t, 1)
	b, hb, _ := open(t, 2)
	p := patron(t, a, ctx)
	code, err := ha.Issue(ctx, p.PatronID, handoff.IntentPayAtDesk)
	must(t, err)
	branchtest.Exchange(t, a.Service, b.Service)
	_, err = ha.Redeem(ctx, code.Code)
	must(t, err)
	branchtest.Exchange(t, a.Service, b.Service)
	if _, err := hb.Redeem(ctx, code.Code); err == nil || !strings.Contains(err.Error(), "already been used") {
		t.Errorf("on the other node: %v", err)
	}
	branchtest.Exchange(t, b.Service, a.Service)
	x, err := a.Service.StateHash(ctx)
	must(t, err)
	y, err := b.Service.StateHash(ctx)
	must(t, err)
	if x != y {
		t.Error("state hashes differ")
	}
}
