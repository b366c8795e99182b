package sip2

import (
	"context"
	"errors"
	"sync"
	"time"

	"stacks/branch"
	"stacks/replicate"
)

// ErrPINLocked is the refusal after too many wrong PINs for one card.
var ErrPINLocked = &branch.Error{Code: "pin_locked",
	Message: "Too many wrong PINs have been tried for this card. Please ask at the desk."}

// Lockout wraps a PIN check with a lockout: after Max wrong PINs for one
// card within Window, every attempt for that card is refused, right PIN or
// not, until Window has passed since the last failure. A right PIN resets
// the count. The count lives in memory: it is shared by every session that
// uses this Lockout (all kiosks of a node), not with other nodes or channels
// that call branch directly.
type Lockout struct {
	check  func(ctx context.Context, card, pin string) error
	max    int
	window time.Duration
	clock  replicate.Clock

	mu    sync.Mutex
	fails map[string]*failures
}

type failures struct {
	n    int
	last time.Time
}

// NewLockout returns a lockout over check (e.g. branch.Service.CheckPIN).
func NewLockout(check func(ctx context.Context, card, pin string) error, max int, window time.Duration, clock replicate.Clock) *Lockout {
	if max <= 0 {
		max = 5
	}
	if window <= 0 {
		window = 15 * time.Minute
	}
	if clock == nil {
		clock = replicate.SystemClock{}
	}
	return &Lockout{check: check, max: max, window: window, clock: clock, fails: map[string]*failures{}}
}

var _ PINVerifier = (*Lockout)(nil)

// VerifyPIN checks pin for card, counting failures.
func (l *Lockout) VerifyPIN(ctx context.Context, card, pin string) error {
	now := l.clock.Now()
	l.mu.Lock()
	f := l.fails[card]
	if f != nil && now.Sub(f.last) >= l.window {
		delete(l.fails, card)
		f = nil
	}
	locked := f != nil && f.n >= l.max
	l.mu.Unlock()
	if locked {
		return ErrPINLocked
	}
	err := l.check(ctx, card, pin)
	var be *branch.Error
	if err != nil && !errors.As(err, &be) {
		return err // the store failed: not the patron's fault
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		delete(l.fails, card)
		return nil
	}
	if be.Code == "bad_credentials" || be.Code == "patron_not_found" || be.Code == "invalid" {
		f := l.fails[card]
		if f == nil {
			if len(l.fails) > 100_000 { // bound memory under a card-guessing flood
				l.fails = map[string]*failures{}
			}
			f = &failures{}
			l.fails[card] = f
		}
		f.n++
		f.last = now
		if f.n >= l.max {
			return ErrPINLocked
		}
	}
	return err
}
