package replicate

import (
	"fmt"
	"sync"
	"time"
)

// Clock is the physical clock the op log and the domain read: they only
// tell the time. Background loops, which also wait, take a clock.Clock
// (package stacks/replicate/clock), which is a Clock too; tests and
// simulations inject clock.Fake.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock (clock.System also makes timers).
type SystemClock struct{}

// Now returns the current wall-clock time.
func (SystemClock) Now() time.Time { return time.Now() }

// Timestamp is a hybrid logical clock reading: milliseconds since the Unix
// epoch in the high 48 bits, a logical counter in the low 16.
type Timestamp uint64

const logicalBits = 16

// MakeTimestamp builds a timestamp from wall milliseconds and a logical part.
func MakeTimestamp(ms int64, logical uint16) Timestamp {
	return Timestamp(uint64(ms)<<logicalBits | uint64(logical))
}

// Millis is the physical part in milliseconds since the epoch.
func (t Timestamp) Millis() int64 { return int64(uint64(t) >> logicalBits) }

// Logical is the logical part.
func (t Timestamp) Logical() uint16 { return uint16(t) }

// Time is the physical part as a time.Time in UTC.
func (t Timestamp) Time() time.Time { return time.UnixMilli(t.Millis()).UTC() }

func (t Timestamp) String() string {
	return fmt.Sprintf("%s+%d", t.Time().Format("2006-01-02T15:04:05.000Z"), t.Logical())
}

// HLC is a hybrid logical clock: monotone, close to physical time, and
// advanced past every timestamp it has seen from other nodes.
type HLC struct {
	mu    sync.Mutex
	clock Clock
	last  Timestamp
}

// NewHLC returns an HLC reading clock.
func NewHLC(clock Clock) *HLC { return &HLC{clock: clock} }

// Now returns a timestamp greater than every one returned or observed before.
func (h *HLC) Now() Timestamp {
	h.mu.Lock()
	defer h.mu.Unlock()
	phys := MakeTimestamp(h.clock.Now().UnixMilli(), 0)
	if phys > h.last {
		h.last = phys
	} else {
		h.last++
	}
	return h.last
}

// Observe advances the clock past a timestamp seen on another node's op.
func (h *HLC) Observe(remote Timestamp) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if remote > h.last {
		h.last = remote
	}
}

// Last is the most recent timestamp issued or observed.
func (h *HLC) Last() Timestamp {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}
