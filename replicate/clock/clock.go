// Package clock is the injected clock of Stacks: it reads the time and
// makes the timers and tickers every background loop waits on (the hold
// sweeper, the WAL checkpointer, the sync loops, central's loops), so that
// tests and simulations drive those loops by moving a fake clock instead of
// sleeping. System is the wall clock; Fake is moved by hand.
//
// It is a leaf package (the standard library only) under replicate, the
// lowest layer of ours: the op log, peersync, central, node, simulations
// and cgo-free clients may all import it without a cycle and without
// linking SQLite. replicate.Clock stays the narrow interface of those that
// only read the time (the hybrid logical clock, the domain); every Clock
// here is one.
package clock

import "time"

// Clock tells the time and makes timers on it.
type Clock interface {
	// Now is the current time.
	Now() time.Time
	// Since is the time elapsed since t.
	Since(t time.Time) time.Duration
	// NewTimer is time.NewTimer: the channel receives the time once d
	// has passed.
	NewTimer(d time.Duration) (Timer, <-chan time.Time)
	// NewTicker is time.NewTicker: the channel receives the time every
	// d (a slow receiver misses ticks).
	NewTicker(d time.Duration) (Ticker, <-chan time.Time)
	// AfterFunc calls f once d has passed (on the system clock in its own
	// goroutine; on a Fake in the goroutine that advances it).
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a timer made by a Clock (time.Timer's methods).
type Timer interface {
	// Stop prevents the timer from firing; false if it had already
	// fired or been stopped.
	Stop() bool
	// Reset makes the timer fire d from now; false if it had already
	// fired or been stopped.
	Reset(d time.Duration) bool
}

// Ticker is a ticker made by a Clock (time.Ticker's methods).
type Ticker interface {
	Stop()
	Reset(d time.Duration)
}

// System is the wall clock and the runtime's timers.
type System struct{}

var _ Clock = System{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

// Since returns time.Since(t).
func (System) Since(t time.Time) time.Duration { return time.Since(t) }

// NewTimer returns a time.Timer.
func (System) NewTimer(d time.Duration) (Timer, <-chan time.Time) {
	t := time.NewTimer(d)
	return t, t.C
}

// NewTicker returns a time.Ticker.
func (System) NewTicker(d time.Duration) (Ticker, <-chan time.Time) {
	t := time.NewTicker(d)
	return t, t.C
}

// AfterFunc is time.AfterFunc.
func (System) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
