package branch_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"stacks/branch/domain"
)

func TestPINLockoutAcrossChannelsAndNodes(t *testing.T) {
	e := newEnv(t)
	p := e.patron("1", "ADULT")
	kiosk := domain.WithActor(context.Background(), domain.Actor{ID: "kiosk-1", Role: domain.RoleKiosk, Channel: domain.ChannelKiosk})
	web := domain.WithActor(context.Background(), domain.Actor{ID: "web", Role: domain.RolePatron, Channel: domain.ChannelWeb})
	// A right PIN without earlier failures records nothing.
	before := e.hash()
	if _, err := e.svc.CheckPIN(kiosk, "1", "1234"); err != nil {
		t.Fatal(err)
	}
	if e.hash() != before {
		t.Fatal("a plain successful PIN check wrote state")
	}
	// Two failures at the kiosk here, two on the web at another branch.
	for i := 0; i < 2; i++ {
		if _, err := e.svc.CheckPIN(kiosk, "1", "0000"); !errors.Is(err, domain.ErrBadCredentials) {
			t.Fatalf("kiosk failure %d: %v", i, err)
		}
	}
	east := openEnv(t, t.TempDir(), 2, "EAST", e.clock)
	ops, _ := e.log.AllOps(context.Background())
	_, err := east.log.Integrate(context.Background(), ops)
	mustNoErr(t, err)
	for i := 0; i < 2; i++ {
		if _, err := east.svc.CheckPIN(web, "1", "9999"); !errors.Is(err, domain.ErrBadCredentials) {
			t.Fatalf("web failure %d: %v", i, err)
		}
	}
	ops, _ = east.log.AllOps(context.Background())
	_, err = e.log.Integrate(context.Background(), ops)
	mustNoErr(t, err)
	// The fifth failure, anywhere, locks the card; then even the right PIN is refused.
	if _, err := e.svc.CheckPIN(kiosk, "1", "1111"); domain.ErrorCode(err) != "pin_locked" {
		t.Fatalf("fifth failure: %v", err)
	}
	if _, err := e.svc.CheckPIN(kiosk, "1", "1234"); domain.ErrorCode(err) != "pin_locked" {
		t.Fatalf("right PIN while locked: %v", err)
	}
	// The lock lifts after the lockout period, and a success resets the count.
	e.clock.Advance(domain.PINLockout + time.Minute)
	if _, err := e.svc.CheckPIN(kiosk, "1", "1234"); err != nil {
		t.Fatalf("after lockout: %v", err)
	}
	for i := 0; i < domain.MaxPINFailures-1; i++ {
		e.svc.CheckPIN(kiosk, "1", "0000")
	}
	mustNoErr(t, e.svc.ResetPINLockout(e.ctx, p.PatronID))
	if _, err := e.svc.CheckPIN(kiosk, "1", "0000"); !errors.Is(err, domain.ErrBadCredentials) {
		t.Fatalf("after staff reset, one failure is not a lock: %v", err)
	}
	if _, err := e.svc.CheckPIN(kiosk, "nobody", "1234"); !errors.Is(err, domain.ErrBadCredentials) {
		t.Fatalf("unknown card: %v", err)
	}
}
