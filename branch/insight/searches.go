package insight

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// KindSearches carries a node's search counts since its last flush: per
// day, hour, branch and channel, how many searches were made and how many
// of them were followed by a title view or a hold. It names no patron, no
// query and no title; the counters add its rows (Observe), and the op
// log applies each op once, so every replica's counts agree.
const KindSearches = "insight.searches"

// SearchRow is one bucket's deltas.
type SearchRow struct {
	Day       string `json:"day"`
	Hour      int    `json:"hour"`
	BranchID  string `json:"branch_id"`
	Channel   string `json:"channel"`
	Searches  int    `json:"searches"`
	Successes int    `json:"successes"`
}

// SearchesOp is the payload of KindSearches.
type SearchesOp struct {
	Rows []SearchRow `json:"rows"`
}

func (r SearchRow) valid() error {
	if _, err := time.Parse(domain.DateLayout, r.Day); err != nil {
		return fmt.Errorf("insight: search row: bad day %q", r.Day)
	}
	if r.Hour < 0 || r.Hour > 23 || r.Searches < 0 || r.Successes < 0 || r.Channel == "" {
		return fmt.Errorf("insight: search row: bad hour, channel or counts")
	}
	return nil
}

// applySearches has no state of its own to fold: the counters are
// derived by Observe, as every other metric's. A row it cannot read is
// skipped there.
func applySearches(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error { return nil }

// Searches counts searches and their success in memory and writes them
// as one KindSearches op per flush. A search hands out a nonce, a random
// token the result links carry (never a patron's ID); the first title
// view or hold that brings it back counts the search as successful, later
// ones (a reload, a second title) do not. Nonces are forgotten after TTL
// or when more than MaxPending are held (the oldest first).
type Searches struct {
	svc *branch.Service
	loc *time.Location
	now func() time.Time
	// TTL is how long a search can still succeed; MaxPending how many
	// searches are remembered at most.
	TTL        time.Duration
	MaxPending int

	mu      sync.Mutex
	pending map[searchBucket]*[2]int
	nonces  map[string]*searchRec
	order   []string // nonces oldest first
}

type searchBucket struct {
	day             string
	hour            int
	branch, channel string
}

type searchRec struct {
	b    searchBucket
	at   time.Time
	done bool
}

// NewSearches counts for svc in the library's zone loc; now is the clock
// (nil: time.Now).
func NewSearches(svc *branch.Service, loc *time.Location, now func() time.Time) *Searches {
	if loc == nil {
		loc = time.UTC
	}
	if now == nil {
		now = time.Now
	}
	return &Searches{svc: svc, loc: loc, now: now, TTL: 2 * time.Hour, MaxPending: 100000,
		pending: map[searchBucket]*[2]int{}, nonces: map[string]*searchRec{}}
}

// Search counts a search made at branchID through channel and returns its
// nonce, for the result links.
func (s *Searches) Search(branchID, channel string) string {
	var raw [9]byte
	if _, err := rand.Read(raw[:]); err != nil {
		// crypto/rand does not fail on supported platforms.
		panic(err)
	}
	nonce := hex.EncodeToString(raw[:])
	now := s.now()
	at := now.In(s.loc)
	b := searchBucket{at.Format(domain.DateLayout), at.Hour(), branchID, channel}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	s.add(b, 0)
	s.nonces[nonce] = &searchRec{b: b, at: now}
	s.order = append(s.order, nonce)
	return nonce
}

// Success counts the search of nonce as successful, once; it reports
// whether it counted (false for an unknown, expired or counted nonce).
func (s *Searches) Success(nonce string) bool {
	if nonce == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(s.now())
	r := s.nonces[nonce]
	if r == nil || r.done {
		return false
	}
	r.done = true
	s.add(r.b, 1)
	return true
}

func (s *Searches) add(b searchBucket, i int) {
	p := s.pending[b]
	if p == nil {
		p = &[2]int{}
		s.pending[b] = p
	}
	p[i]++
}

// expire forgets the searches past TTL and beyond MaxPending.
func (s *Searches) expire(now time.Time) {
	n := 0
	for n < len(s.order) {
		r := s.nonces[s.order[n]]
		if r != nil && now.Sub(r.at) < s.TTL && len(s.order)-n < s.MaxPending {
			break
		}
		delete(s.nonces, s.order[n])
		n++
	}
	if n > 0 {
		s.order = append(s.order[:0:0], s.order[n:]...)
	}
}

// Pending is how many searches are remembered (for tests and metrics).
func (s *Searches) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.nonces)
}

// Flush writes the counts since the last flush as one op (none if there
// are none). On failure they are kept for the next flush.
func (s *Searches) Flush(ctx context.Context) error {
	s.mu.Lock()
	pending := s.pending
	s.pending = map[searchBucket]*[2]int{}
	s.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	op := SearchesOp{}
	for b, n := range pending {
		op.Rows = append(op.Rows, SearchRow{Day: b.day, Hour: b.hour, BranchID: b.branch, Channel: b.channel, Searches: n[0], Successes: n[1]})
	}
	sort.Slice(op.Rows, func(i, j int) bool {
		a, b := op.Rows[i], op.Rows[j]
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		if a.Hour != b.Hour {
			return a.Hour < b.Hour
		}
		if a.BranchID != b.BranchID {
			return a.BranchID < b.BranchID
		}
		return a.Channel < b.Channel
	})
	actx := domain.WithActor(ctx, domain.Actor{ID: "insight-searches", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
	err := s.svc.Update(actx, func(t *branch.Txn) error {
		_, err := t.Emit(actx, KindSearches, op)
		return err
	})
	if err != nil {
		s.mu.Lock()
		for b, n := range pending {
			p := s.pending[b]
			if p == nil {
				s.pending[b] = n
			} else {
				p[0] += n[0]
				p[1] += n[1]
			}
		}
		s.mu.Unlock()
		return fmt.Errorf("insight: searches: %w", err)
	}
	return nil
}
