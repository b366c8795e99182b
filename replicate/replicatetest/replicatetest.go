// Package replicatetest has the injected clock and randomness that tests
// and simulations of Stacks share: a clock moved by hand and a seeded,
// concurrency-safe random stream.
package replicatetest

import (
	"math/rand/v2"
	"sync"
	"time"

	"stacks/replicate"
	"stacks/replicate/clock"
)

// Clock is the fake clock tests move by hand (Set, Advance); its timers
// fire as it moves (see clock.Fake).
type Clock = clock.Fake

var _ replicate.Clock = (*Clock)(nil)

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return clock.NewFake(t) }

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
