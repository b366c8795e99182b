package clock

import (
	"sync"
	"time"
)

// Fake is a Clock that stands still until it is moved. Advance fires the
// timers and tickers that fall due, one by one in time order (timers due at
// the same instant in the order they were armed), with the clock reading
// each one's due time as it fires: the same moves fire the same timers in
// the same order, every run. A ticker ticks at most once per move. A
// timer's channel gets the time as
// time.Timer's would (a full channel drops the tick); an AfterFunc's
// function runs in the goroutine that calls Advance, before Advance goes
// on, so a simulation that advances the clock runs the loops it drives
// deterministically. Such a function may use the clock (arm timers, read
// Now) but must not Advance it.
//
// Fake is safe for concurrent use.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers map[*fakeTimer]struct{} // armed ones
}

var _ Clock = (*Fake)(nil)

// NewFake returns a fake clock stopped at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t, timers: map[*fakeTimer]struct{}{}} }

// Now is the clock's time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Since is Now() - t.
func (c *Fake) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Advance moves the clock on by d, firing what falls due on the way.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	c.runUntil(target)
}

// Set moves the clock to t. Forward, it fires what falls due as Advance
// does; backward (a clock jump), it only changes what Now reads: timers
// keep their due times.
func (c *Fake) Set(t time.Time) {
	c.mu.Lock()
	if !t.After(c.now) {
		c.now = t
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.runUntil(t)
}

// Waiting is how many timers and tickers are armed: a test waits until the
// loop it drives has armed its timer before it advances the clock.
func (c *Fake) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Next is when the earliest armed timer is due; false if none is armed.
func (c *Fake) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.earliest()
	if t == nil {
		return time.Time{}, false
	}
	return t.when, true
}

func (c *Fake) earliest() *fakeTimer {
	var best *fakeTimer
	for t := range c.timers {
		if best == nil || t.when.Before(best.when) || t.when.Equal(best.when) && t.seq < best.seq {
			best = t
		}
	}
	return best
}

func (c *Fake) runUntil(target time.Time) {
	for {
		c.mu.Lock()
		t := c.earliest()
		if t == nil || t.when.After(target) {
			if target.After(c.now) {
				c.now = target
			}
			c.mu.Unlock()
			return
		}
		if t.when.After(c.now) {
			c.now = t.when
		}
		now := c.now
		if t.period > 0 {
			// A ticker delivers one tick per move: its reader could not
			// have taken another meanwhile (a real one drops ticks for a
			// slow reader too), and a long move stays cheap.
			for !t.when.After(target) {
				t.when = t.when.Add(t.period)
			}
			c.seq++
			t.seq = c.seq
		} else {
			delete(c.timers, t)
		}
		if t.ch != nil {
			select {
			case t.ch <- now:
			default:
			}
		}
		f := t.f
		c.mu.Unlock()
		if f != nil {
			f()
		}
	}
}

// arm (re)schedules t to fire d from now; it reports whether t was armed.
func (c *Fake) arm(t *fakeTimer, d time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, was := c.timers[t]
	c.seq++
	t.when, t.seq = c.now.Add(d), c.seq
	c.timers[t] = struct{}{}
	return was
}

func (c *Fake) disarm(t *fakeTimer) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, was := c.timers[t]
	delete(c.timers, t)
	return was
}

// NewTimer returns a timer that fires once d has passed on the clock.
func (c *Fake) NewTimer(d time.Duration) (Timer, <-chan time.Time) {
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	c.arm(t, d)
	return t, t.ch
}

// NewTicker returns a ticker that fires every d on the clock.
func (c *Fake) NewTicker(d time.Duration) (Ticker, <-chan time.Time) {
	if d <= 0 {
		panic("clock: non-positive interval for NewTicker")
	}
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1), period: d}
	c.arm(t, d)
	return fakeTicker{t}, t.ch
}

// AfterFunc calls f, in the goroutine that advances the clock, once d has
// passed on it.
func (c *Fake) AfterFunc(d time.Duration, f func()) Timer {
	t := &fakeTimer{c: c, f: f}
	c.arm(t, d)
	return t
}

type fakeTimer struct {
	c      *Fake
	when   time.Time
	seq    uint64
	period time.Duration // tickers
	ch     chan time.Time
	f      func()
}

func (t *fakeTimer) Stop() bool { return t.c.disarm(t) }

func (t *fakeTimer) Reset(d time.Duration) bool { return t.c.arm(t, d) }

type fakeTicker struct{ t *fakeTimer }

func (k fakeTicker) Stop() { k.t.c.disarm(k.t) }

func (k fakeTicker) Reset(d time.Duration) {
	if d <= 0 {
		panic("clock: non-positive interval for Ticker.Reset")
	}
	k.t.c.mu.Lock()
	k.t.period = d
	k.t.c.mu.Unlock()
	k.t.c.arm(k.t, d)
}
