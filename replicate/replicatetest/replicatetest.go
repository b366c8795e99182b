// Package replicatetest has the injected clock and randomness that tests
// and simulations of Stacks share: a clock moved by hand and a seeded,
// concurrency-safe random stream.
package replicatetest

import (
	"math/rand/v2"
	"sync"
	"time"

	"stacks/replicate"
)

// Clock is a replicate.Clock that tests move by hand.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

var _ replicate.Clock = (*Clock)(nil)

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Rand is a deterministic random stream (ChaCha8), safe for concurrent use:
// the randomness commands use for IDs and card numbers.
type Rand struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

// NewRand returns the stream for seed.
func NewRand(seed byte) *Rand {
	var s [32]byte
	s[0] = seed
	return &Rand{r: rand.NewChaCha8(s)}
}

// Read fills p with random bytes.
func (r *Rand) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Read(p)
}
