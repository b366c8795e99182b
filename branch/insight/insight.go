// Package insight measures how the library serves: loans, returns and
// renewals per branch, channel, day and hour; the share of them
// self-served; new registrations; holds placed, filled (and the days it
// took), collected, cancelled and expired on the shelf; and patrons active
// on two or more channels in a day or a month; and search success, the
// searches on the patron web and API followed by a title view or a hold
// (searches.go: counted in memory, written as insight.searches ops).
//
// The figures are counters folded from the op log as ops are applied (an
// Observe hook on every node: inline, in the applying transaction, or, on
// a node that defers derived state (branch.Deferral), noted there and
// folded by a catch-up pass right after the commit, pending.go), so a
// report reads a few aggregate rows and never rescans history. They are local
// derived state, as the search index and the recommendation model are:
// neither replicated nor hashed, and rebuilt from the op log by Open when
// missing. Each op is applied once per replica (the log applies only the
// ops it did not hold), each counter is a sum over ops, and what depends
// on two ops (a hold placed and filled) is kept per hold until both are
// known, so every replica holding the same ops holds the same counts,
// whatever order they came in.
//
// Patrons are named only where a count needs it: the set of channels each
// patron used in a day and a month (insight_active), so that a patron is
// counted once when their second channel appears. Those rows are pruned
// once their period is ActiveGraceDays behind (PruneActive), and erasure
// deletes them; the counts themselves name no one.
package insight

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/handoff"
	"stacks/replicate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Version is the counters' derivation version: counters made by another
// version (or none) are rebuilt from the op log at Open.
const Version = "2"

// Metrics counted per day, hour, branch and channel.
const (
	MetricLoans         = "loans"
	MetricReturns       = "returns"
	MetricRenewals      = "renewals"
	MetricRegistrations = "registrations"
	MetricHoldsPlaced   = "holds_placed"
	// Hold statuses, counted once per hold at the earliest time it reached
	// them, at the hold's pickup branch (as placed).
	MetricHoldsReady        = "holds_ready"
	MetricHoldsFulfilled    = "holds_fulfilled"
	MetricHoldsShelfExpired = "holds_shelf_expired"
	MetricHoldsExpired      = "holds_expired" // not needed after a date, before it was filled
	MetricHoldsCancelled    = "holds_cancelled"
	// Handoffs between channels (branch/handoff): codes issued (on the web
	// or in an app) and used (at the desk or a kiosk), library-wide.
	MetricHandoffsStarted   = "handoffs_started"
	MetricHandoffsCompleted = "handoffs_completed"
	// Searches made on the patron web and the patron API, and those of
	// them followed by a title view or a hold (searches.go), at the
	// branch and in the hour the search was made.
	MetricSearches        = "searches"
	MetricSearchSuccesses = "search_successes"
)

// Metrics lists every counted metric, in report order.
var Metrics = []string{MetricLoans, MetricReturns, MetricRenewals, MetricRegistrations, MetricHoldsPlaced, MetricHoldsReady,
	MetricHoldsFulfilled, MetricHoldsShelfExpired, MetricHoldsExpired, MetricHoldsCancelled, MetricHandoffsStarted, MetricHandoffsCompleted,
	MetricSearches, MetricSearchSuccesses}

// SelfServiceChannels are the channels a patron serves themselves through.
var SelfServiceChannels = []string{string(domain.ChannelKiosk), string(domain.ChannelWeb), string(domain.ChannelApp)}

// activeBits are the channels counted for patrons active on several
// channels, a bit each: those a patron acts through (not staff
// integrations, imports or central).
var activeBits = map[string]int{string(domain.ChannelDesk): 1, string(domain.ChannelKiosk): 2, string(domain.ChannelWeb): 4,
	string(domain.ChannelApp): 8, string(domain.ChannelEmail): 16}

// Capability is insight as the applier sees it: its tables, the Observe
// hook that counts every batch's ops, and its part of a patron's export
// and erasure. loc is the library's time zone, which days and hours are
// counted in (every node of a library runs in it; nil is UTC).
func Capability(loc *time.Location) branch.Capability {
	ms, err := replicate.MigrationsFromFS("insight", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	if loc == nil {
		loc = time.UTC
	}
	c := counter{loc: loc, tomb: &tombstones{}}
	return branch.Capability{
		Name:       "insight",
		Kinds:      []string{KindSearches},
		Apply:      applySearches,
		Migrations: ms,
		Observe: func(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
			if branch.Deferred(tx) {
				return notePending(ctx, tx, ops)
			}
			return c.observe(ctx, tx, ops)
		},
		CatchUp: func(ctx context.Context, tx *replicate.Tx, limit int) (int, error) {
			return c.catchUp(ctx, tx, limit)
		},
		Export: export,
		Erase: func(ctx context.Context, tx *replicate.Tx, patronID string) error {
			return erase(ctx, tx, patronID)
		},
	}
}

// txn is a transaction: the applier's or a command's.
type txn interface {
	replicate.Querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

type counter struct {
	loc  *time.Location
	tomb *tombstones
}

// ActiveGraceDays is how long the channel sets of a period are kept after
// it ends: a day's for that many days after the day, a month's for that
// many days after the month. Until then an op arriving late (from a branch
// that was cut off) still counts its patron among those active on two or
// more channels, once; after, the period's figure is final and its rows,
// which name patrons, are gone (PruneActive).
const ActiveGraceDays = 14

// cutoffKey is insight_meta's key for the library date before which the
// channel sets were pruned.
const cutoffKey = "active_cutoff"

// pruned reports whether period ('D' day or 'M' month) is before cutoff
// (a date): its channel sets are pruned, and no op may bring them back.
func pruned(period, cutoff string) bool {
	if cutoff == "" {
		return false
	}
	if period[0] == 'M' {
		return period[1:] < cutoff[:7]
	}
	return period[1:] < cutoff
}

// activeCutoff is the date before which the channel sets were pruned, ""
// if never.
func activeCutoff(ctx context.Context, q replicate.Querier) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT coalesce((SELECT v FROM insight_meta WHERE k=?), '')`, cutoffKey).Scan(&v)
	return v, err
}

// tombstones says whether the database holds privacy's erasure
// tombstones (a node may run without privacy), found out once.
type tombstones struct {
	mu         sync.Mutex
	known, has bool
}

// erased reports whether patronID was erased: an op naming them that
// arrives later (from a node that was cut off) must not put them back in
// insight_active, nor count them again.
func (c counter) erased(ctx context.Context, tx txn, patronID string) (bool, error) {
	c.tomb.mu.Lock()
	if !c.tomb.known {
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type='table' AND name='privacy_erasures')`).
			Scan(&c.tomb.has); err != nil {
			c.tomb.mu.Unlock()
			return false, err
		}
		c.tomb.known = true
	}
	has := c.tomb.has
	c.tomb.mu.Unlock()
	if !has {
		return false, nil
	}
	var gone bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM privacy_erasures WHERE patron_id=?)`, patronID).Scan(&gone)
	return gone, err
}

type countKey struct {
	day            string
	hour           int
	branch, ch, mt string
}

type fillKey struct {
	day, branch string
	days        int
}

type activeKey struct{ period, patron string }

type turnoverKey struct{ day, branch, format string }

// batch is what a batch of ops adds, summed before it is written.
type batch struct {
	counts map[countKey]int
	fills  map[fillKey]int
	active map[activeKey]int
	// turnover are loans per day, owning branch and format.
	turnover map[turnoverKey]int
	holds    []string
	// handoffs are the codes whose use the batch names.
	handoffs []string
}

func (b *batch) count(at time.Time, branchID, ch, metric string, d int) {
	b.counts[countKey{at.Format(domain.DateLayout), at.Hour(), branchID, ch, metric}] += d
}

func (b *batch) touch(patron, ch string, at time.Time) {
	bit := activeBits[ch]
	if patron == "" || bit == 0 {
		return
	}
	b.active[activeKey{"D" + at.Format(domain.DateLayout), patron}] |= bit
	b.active[activeKey{"M" + at.Format("2006-01"), patron}] |= bit
}

// The payload fields insight reads (see branch/ops.go).
type circOp struct {
	ItemID     string `json:"item_id"`
	PatronID   string `json:"patron_id"`
	BranchID   string `json:"branch_id"`
	IssuedAt   string `json:"issued_at"`
	ReturnedAt string `json:"returned_at"`
	RenewedAt  string `json:"renewed_at"`
	// The item's format and home branch, as the lending branch knew them
	// (absent in a checkout op written before they were stamped).
	Format *string `json:"format"`
	Owner  *string `json:"owner"`
}

type holdOp struct {
	HoldID       string `json:"hold_id"`
	PatronID     string `json:"patron_id"`
	PickupBranch string `json:"pickup_branch"`
	PlacedAt     string `json:"placed_at"`
	Status       string `json:"status"`
	Reason       string `json:"reason"`
}

type handoffOp struct {
	Hash     string `json:"code_hash"`
	PatronID string `json:"patron_id"`
	IssuedAt string `json:"issued_at"`
	At       string `json:"at"`
}

type fieldsOp struct {
	Fields map[string]any `json:"fields"`
}

// channelOf is an op's channel as counted ("other" when it names none).
func channelOf(op replicate.Op) string {
	if op.Channel == "" {
		return "other"
	}
	return op.Channel
}

// when is the instant a payload names (a stored UTC stamp), or else the
// op's own time, in library time.
func (c counter) when(stamp string, op replicate.Op) time.Time {
	if t, err := time.Parse(domain.TimeLayout, stamp); err == nil {
		return t.In(c.loc)
	}
	return op.HLC.Time().In(c.loc)
}

// loanCollection is the format and owning branch a loan counts under in
// collection turnover: as its checkout op names them, or, for an op
// written before they were stamped, as this replica knows the item now
// ("" if it does not).
func loanCollection(ctx context.Context, tx txn, p circOp) (format, owner string, err error) {
	if p.Format != nil && p.Owner != nil {
		return *p.Format, *p.Owner, nil
	}
	err = tx.QueryRowContext(ctx, `SELECT coalesce((SELECT b.format FROM items i JOIN biblios b ON b.biblio_id=i.biblio_id WHERE i.item_id=?1), ''),
		coalesce((SELECT home_branch FROM items WHERE item_id=?1), '')`, p.ItemID).Scan(&format, &owner)
	if err != nil {
		return "", "", fmt.Errorf("insight: the loan's item: %w", err)
	}
	return format, owner, nil
}

// statusMetric is the metric of a hold status op, "" if none.
func statusMetric(status, reason string) string {
	switch status {
	case domain.HoldReady:
		return MetricHoldsReady
	case domain.HoldFulfilled:
		return MetricHoldsFulfilled
	case domain.HoldCancelled:
		return MetricHoldsCancelled
	case domain.HoldExpired:
		// branch/holds.go: a hold left on the shelf expires "not collected".
		if reason == "not collected" {
			return MetricHoldsShelfExpired
		}
		return MetricHoldsExpired
	}
	return ""
}

// observe counts a batch of ops. A payload insight cannot read is skipped
// (its own applier has refused or accepted it already).
func (c counter) observe(ctx context.Context, tx txn, ops []replicate.Op) error {
	b := &batch{counts: map[countKey]int{}, fills: map[fillKey]int{}, active: map[activeKey]int{}, turnover: map[turnoverKey]int{}}
	for _, op := range ops {
		ch := channelOf(op)
		switch op.Kind {
		case branch.KindCheckout, branch.KindCheckin, branch.KindRenew:
			var p circOp
			if json.Unmarshal(op.Payload, &p) != nil {
				continue
			}
			metric, stamp := MetricLoans, p.IssuedAt
			switch op.Kind {
			case branch.KindCheckin:
				metric, stamp = MetricReturns, p.ReturnedAt
			case branch.KindRenew:
				metric, stamp = MetricRenewals, p.RenewedAt
			}
			at := c.when(stamp, op)
			b.count(at, p.BranchID, ch, metric, 1)
			b.touch(p.PatronID, ch, at)
			if op.Kind == branch.KindCheckout {
				format, owner, err := loanCollection(ctx, tx, p)
				if err != nil {
					return err
				}
				b.turnover[turnoverKey{at.Format(domain.DateLayout), owner, format}]++
			}
		case branch.KindHoldPlace:
			var p holdOp
			if json.Unmarshal(op.Payload, &p) != nil || p.HoldID == "" {
				continue
			}
			at := c.when(p.PlacedAt, op)
			b.count(at, p.PickupBranch, ch, MetricHoldsPlaced, 1)
			b.touch(p.PatronID, ch, at)
			if _, err := tx.ExecContext(ctx, `INSERT INTO insight_holds (hold_id, placed_at, branch_id) VALUES (?,?,?)
				ON CONFLICT DO NOTHING`, p.HoldID, at.UTC().Format(domain.TimeLayout), p.PickupBranch); err != nil {
				return fmt.Errorf("insight: hold: %w", err)
			}
			b.holds = append(b.holds, p.HoldID)
		case branch.KindHoldStatus:
			var p holdOp
			if json.Unmarshal(op.Payload, &p) != nil || p.HoldID == "" {
				continue
			}
			m := statusMetric(p.Status, p.Reason)
			if m == "" {
				continue
			}
			at := op.HLC.Time().Format(domain.TimeLayout)
			if _, err := tx.ExecContext(ctx, `INSERT INTO insight_hold_status (hold_id, status, at, channel) VALUES (?,?,?,?)
				ON CONFLICT (hold_id, status) DO UPDATE SET at=excluded.at, channel=excluded.channel
				WHERE excluded.at < insight_hold_status.at OR (excluded.at = insight_hold_status.at AND excluded.channel < insight_hold_status.channel)`,
				p.HoldID, m, at, ch); err != nil {
				return fmt.Errorf("insight: hold status: %w", err)
			}
			b.holds = append(b.holds, p.HoldID)
		case handoff.KindIssue:
			var p handoffOp
			if json.Unmarshal(op.Payload, &p) != nil {
				continue
			}
			at := c.when(p.IssuedAt, op)
			b.count(at, "", ch, MetricHandoffsStarted, 1)
			b.touch(p.PatronID, ch, at)
		case handoff.KindUse:
			var p handoffOp
			if json.Unmarshal(op.Payload, &p) != nil || p.Hash == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO insight_handoffs (code_hash, at, channel) VALUES (?,?,?)
				ON CONFLICT (code_hash) DO UPDATE SET at=excluded.at, channel=excluded.channel
				WHERE excluded.at < insight_handoffs.at OR (excluded.at = insight_handoffs.at AND excluded.channel < insight_handoffs.channel)`,
				p.Hash, c.when(p.At, op).UTC().Format(domain.TimeLayout), ch); err != nil {
				return fmt.Errorf("insight: handoff: %w", err)
			}
			b.handoffs = append(b.handoffs, p.Hash)
		case KindSearches:
			var p SearchesOp
			if json.Unmarshal(op.Payload, &p) != nil {
				continue
			}
			for _, r := range p.Rows {
				if r.valid() != nil {
					continue
				}
				b.counts[countKey{r.Day, r.Hour, r.BranchID, r.Channel, MetricSearches}] += r.Searches
				b.counts[countKey{r.Day, r.Hour, r.BranchID, r.Channel, MetricSearchSuccesses}] += r.Successes
			}
		case branch.KindPatronSet:
			var p fieldsOp
			if json.Unmarshal(op.Payload, &p) != nil {
				continue
			}
			// A patron's first write (branch/patrons.go) is the only one
			// that sets registered_at.
			if reg, _ := p.Fields["registered_at"].(string); reg != "" {
				home, _ := p.Fields["home_branch"].(string)
				b.count(op.HLC.Time().In(c.loc), home, ch, MetricRegistrations, 1)
			}
		}
	}
	if err := c.settleHolds(ctx, tx, b); err != nil {
		return err
	}
	if err := c.settleHandoffs(ctx, tx, b); err != nil {
		return err
	}
	cutoff := ""
	if len(b.active) > 0 {
		var err error
		if cutoff, err = activeCutoff(ctx, tx); err != nil {
			return fmt.Errorf("insight: cutoff: %w", err)
		}
	}
	checked := map[string]bool{}
	for k := range b.active {
		if pruned(k.period, cutoff) {
			delete(b.active, k)
			continue
		}
		gone, ok := checked[k.patron]
		if !ok {
			var err error
			if gone, err = c.erased(ctx, tx, k.patron); err != nil {
				return fmt.Errorf("insight: erased: %w", err)
			}
			checked[k.patron] = gone
		}
		if gone {
			delete(b.active, k)
		}
	}
	return b.write(ctx, tx)
}

// settleHolds counts the statuses of the touched holds whose placing is
// known and that are not counted at their earliest time yet (moving the
// count when an earlier one arrived since).
func (c counter) settleHolds(ctx context.Context, tx txn, b *batch) error {
	slices.Sort(b.holds)
	for _, id := range slices.Compact(b.holds) {
		var placed, branchID string
		err := tx.QueryRowContext(ctx, `SELECT placed_at, branch_id FROM insight_holds WHERE hold_id=?`, id).Scan(&placed, &branchID)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return fmt.Errorf("insight: hold: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT status, at, channel, counted_at, counted_ch FROM insight_hold_status
			WHERE hold_id=? AND (at<>counted_at OR channel<>counted_ch) ORDER BY status`, id)
		if err != nil {
			return fmt.Errorf("insight: hold status: %w", err)
		}
		type st struct{ status, at, ch, countedAt, countedCh string }
		var sts []st
		for rows.Next() {
			var s st
			if err := rows.Scan(&s.status, &s.at, &s.ch, &s.countedAt, &s.countedCh); err != nil {
				rows.Close()
				return err
			}
			sts = append(sts, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		placedAt, _ := time.Parse(domain.TimeLayout, placed)
		for _, s := range sts {
			if s.countedAt != "" {
				c.countStatus(b, s.status, s.countedAt, s.countedCh, branchID, placedAt, -1)
			}
			c.countStatus(b, s.status, s.at, s.ch, branchID, placedAt, 1)
			if _, err := tx.ExecContext(ctx, `UPDATE insight_hold_status SET counted_at=at, counted_ch=channel WHERE hold_id=? AND status=?`,
				id, s.status); err != nil {
				return err
			}
		}
	}
	return nil
}

// settleHandoffs counts each used code once, at its earliest use.
func (c counter) settleHandoffs(ctx context.Context, tx txn, b *batch) error {
	slices.Sort(b.handoffs)
	for _, h := range slices.Compact(b.handoffs) {
		var at, ch, countedAt, countedCh string
		if err := tx.QueryRowContext(ctx, `SELECT at, channel, counted_at, counted_ch FROM insight_handoffs WHERE code_hash=?`, h).
			Scan(&at, &ch, &countedAt, &countedCh); err != nil {
			return fmt.Errorf("insight: handoff: %w", err)
		}
		if at == countedAt && ch == countedCh {
			continue
		}
		if countedAt != "" {
			if t, err := time.Parse(domain.TimeLayout, countedAt); err == nil {
				b.count(t.In(c.loc), "", countedCh, MetricHandoffsCompleted, -1)
			}
		}
		if t, err := time.Parse(domain.TimeLayout, at); err == nil {
			b.count(t.In(c.loc), "", ch, MetricHandoffsCompleted, 1)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE insight_handoffs SET counted_at=at, counted_ch=channel WHERE code_hash=?`, h); err != nil {
			return err
		}
	}
	return nil
}

func (c counter) countStatus(b *batch, metric, stamp, ch, branchID string, placed time.Time, d int) {
	t, err := time.Parse(domain.TimeLayout, stamp)
	if err != nil {
		return
	}
	at := t.In(c.loc)
	b.count(at, branchID, ch, metric, d)
	if metric == MetricHoldsReady {
		days := max(0, int(t.Sub(placed)/(24*time.Hour)))
		b.fills[fillKey{at.Format(domain.DateLayout), branchID, days}] += d
	}
}

// write adds the batch's sums to the tables (in any order: sums commute).
func (b *batch) write(ctx context.Context, tx txn) error {
	keys := make([]countKey, 0, len(b.counts))
	for k, d := range b.counts {
		if d != 0 {
			keys = append(keys, k)
		}
	}
	daily, monthly := map[countKey]int{}, map[countKey]int{}
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO insight_counts (day, hour, branch_id, channel, metric, n) VALUES (?,?,?,?,?,?)
			ON CONFLICT (day, hour, branch_id, channel, metric) DO UPDATE SET n=n+excluded.n`,
			k.day, k.hour, k.branch, k.ch, k.mt, b.counts[k]); err != nil {
			return fmt.Errorf("insight: count: %w", err)
		}
		if b.counts[k] < 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM insight_counts WHERE day=? AND hour=? AND branch_id=? AND channel=? AND metric=? AND n=0`,
				k.day, k.hour, k.branch, k.ch, k.mt); err != nil {
				return err
			}
		}
		d := k
		d.hour = 0
		daily[d] += b.counts[k]
		m := k
		m.day = k.day[:7]
		monthly[m] += b.counts[k]
	}
	for k, d := range monthly {
		if d == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO insight_hourly (month, hour, branch_id, channel, metric, n) VALUES (?,?,?,?,?,?)
			ON CONFLICT (month, hour, branch_id, channel, metric) DO UPDATE SET n=n+excluded.n`, k.day, k.hour, k.branch, k.ch, k.mt, d); err != nil {
			return fmt.Errorf("insight: hourly count: %w", err)
		}
		if d < 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM insight_hourly WHERE month=? AND hour=? AND branch_id=? AND channel=? AND metric=? AND n=0`,
				k.day, k.hour, k.branch, k.ch, k.mt); err != nil {
				return err
			}
		}
	}
	for k, d := range daily {
		if d == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO insight_daily (day, branch_id, channel, metric, n) VALUES (?,?,?,?,?)
			ON CONFLICT (day, branch_id, channel, metric) DO UPDATE SET n=n+excluded.n`, k.day, k.branch, k.ch, k.mt, d); err != nil {
			return fmt.Errorf("insight: daily count: %w", err)
		}
		if d < 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM insight_daily WHERE day=? AND branch_id=? AND channel=? AND metric=? AND n=0`,
				k.day, k.branch, k.ch, k.mt); err != nil {
				return err
			}
		}
	}
	for k, d := range b.turnover {
		if _, err := tx.ExecContext(ctx, `INSERT INTO insight_turnover (day, branch_id, format, n) VALUES (?,?,?,?)
			ON CONFLICT (day, branch_id, format) DO UPDATE SET n=n+excluded.n`, k.day, k.branch, k.format, d); err != nil {
			return fmt.Errorf("insight: turnover: %w", err)
		}
	}
	for k, d := range b.fills {
		if d == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO insight_fill (day, branch_id, days, n) VALUES (?,?,?,?)
			ON CONFLICT (day, branch_id, days) DO UPDATE SET n=n+excluded.n`, k.day, k.branch, k.days, d); err != nil {
			return fmt.Errorf("insight: fill: %w", err)
		}
		if d < 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM insight_fill WHERE day=? AND branch_id=? AND days=? AND n=0`, k.day, k.branch, k.days); err != nil {
				return err
			}
		}
	}
	for k, bitsNew := range b.active {
		var old int
		err := tx.QueryRowContext(ctx, `SELECT channels FROM insight_active WHERE period=? AND patron_id=?`, k.period, k.patron).Scan(&old)
		if err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("insight: active: %w", err)
		}
		now := old | bitsNew
		if now == old {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO insight_active (period, patron_id, channels) VALUES (?,?,?)
			ON CONFLICT (period, patron_id) DO UPDATE SET channels=excluded.channels`, k.period, k.patron, now); err != nil {
			return fmt.Errorf("insight: active: %w", err)
		}
		if bits.OnesCount(uint(old)) < 2 && bits.OnesCount(uint(now)) >= 2 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO insight_multi (period, n) VALUES (?, 1)
				ON CONFLICT (period) DO UPDATE SET n=n+1`, k.period); err != nil {
				return fmt.Errorf("insight: multichannel: %w", err)
			}
		}
	}
	return nil
}

// channelNames are the channels of a bit set.
func channelNames(set int) []string {
	var out []string
	for ch, bit := range activeBits {
		if set&bit != 0 {
			out = append(out, ch)
		}
	}
	slices.Sort(out)
	return out
}

// export is what insight holds about a patron: the channels they used in
// each day and month it counts.
func export(ctx context.Context, q replicate.Querier, patronID string) (any, error) {
	rows, err := q.QueryContext(ctx, `SELECT period, channels FROM insight_active WHERE patron_id=? ORDER BY period`, patronID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []map[string]any{}
	for rows.Next() {
		var period string
		var set int
		if err := rows.Scan(&period, &set); err != nil {
			return nil, err
		}
		kind := "day"
		if strings.HasPrefix(period, "M") {
			kind = "month"
		}
		out = append(out, map[string]any{kind: period[1:], "channels": channelNames(set)})
	}
	return out, rows.Err()
}

// erase deletes the patron's channel sets; the counts stay, naming no one.
func erase(ctx context.Context, tx txn, patronID string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM insight_active WHERE patron_id=?`, patronID)
	return err
}

// PruneActive deletes the channel sets of the days and months that ended
// more than ActiveGraceDays before now (library time), and returns how
// many rows it deleted. Their counts (insight_multi) stay; an op for such a
// period that arrives later counts in every other figure but no longer
// among the patrons active on several channels. Every node runs it at its
// privacy sweep; it is local derived state, so it writes no op.
func PruneActive(ctx context.Context, svc *branch.Service, loc *time.Location, now time.Time) (int, error) {
	if loc == nil {
		loc = time.UTC
	}
	cutoff := now.In(loc).AddDate(0, 0, -ActiveGraceDays).Format(domain.DateLayout)
	n := 0
	err := svc.Update(replicate.Direct(ctx), func(t *branch.Txn) error {
		old, err := activeCutoff(ctx, t)
		if err != nil || old >= cutoff {
			return err
		}
		n, err = pruneActive(ctx, t, cutoff)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("insight: prune: %w", err)
	}
	return n, nil
}

// pruneActive deletes the channel sets before cutoff and records it.
func pruneActive(ctx context.Context, tx txn, cutoff string) (int, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM insight_active WHERE (period > 'D' AND period < ?) OR (period > 'M' AND period < ?)`,
		"D"+cutoff, "M"+cutoff[:7])
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	_, err = tx.ExecContext(ctx, `INSERT INTO insight_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v=excluded.v`, cutoffKey, cutoff)
	return int(n), err
}

// Open makes the counters whole over svc's database: counted by another
// Version, or never (a database from before insight), they are rebuilt
// from the op log. loc must be the Capability's.
func Open(ctx context.Context, svc *branch.Service, loc *time.Location, lg *slog.Logger) error {
	var v string
	if err := svc.Read().QueryRowContext(ctx, `SELECT coalesce((SELECT v FROM insight_meta WHERE k='version'), '')`).Scan(&v); err != nil {
		return fmt.Errorf("insight: %w", err)
	}
	// The items held are kept by triggers on items and biblios, which
	// SQLite drops with their table: a migration that rebuilt either table
	// must create them again (as migrations/002_turnover.sql does), or
	// the counts would silently stop following the state.
	var triggers int
	if err := svc.Read().QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name IN (`+
		`'insight_held_item_insert','insight_held_item_delete','insight_held_item_update',`+
		`'insight_held_biblio_insert','insight_held_biblio_update','insight_held_biblio_delete')`).Scan(&triggers); err != nil {
		return fmt.Errorf("insight: %w", err)
	}
	if triggers != 6 {
		return fmt.Errorf("insight: %d of the 6 triggers that count the items held are in the database (a migration rebuilt items or biblios without them?)", triggers)
	}
	if v == Version {
		return nil
	}
	// A compacted log no longer holds the ops before its floors: the
	// counters rebuilt from it count only what came after.
	if floors, err := svc.Log().CompactedVector(ctx); err == nil && len(floors) > 0 && lg != nil {
		lg.Warn("insight counters are rebuilt from a compacted op log: ops before the compaction point are not counted", "compacted_to", floors.String())
	}
	n, err := Rebuild(ctx, svc, loc)
	if err != nil {
		return err
	}
	if lg != nil {
		lg.Info("insight counters rebuilt", "ops", n)
	}
	return nil
}

// Rebuild recounts everything from the op log, in one transaction, and
// returns how many ops it read. Patrons erased since stay erased.
func Rebuild(ctx context.Context, svc *branch.Service, loc *time.Location) (int, error) {
	if loc == nil {
		loc = time.UTC
	}
	c := counter{loc: loc, tomb: &tombstones{}}
	n := 0
	err := svc.Update(replicate.Direct(ctx), func(t *branch.Txn) error {
		// The channel sets pruned stay pruned: counted again from the log
		// (so the figures of every period are whole), then deleted.
		cutoff, err := activeCutoff(ctx, t)
		if err != nil {
			return err
		}
		for _, tbl := range []string{"insight_pending", "insight_counts", "insight_daily", "insight_hourly", "insight_fill", "insight_holds", "insight_hold_status", "insight_active",
			"insight_multi", "insight_meta", "insight_handoffs", "insight_turnover", "insight_held"} {
			if _, err := t.ExecContext(ctx, `DELETE FROM `+tbl); err != nil {
				return err
			}
		}
		const page = 2000
		var last replicate.OpPos
		for {
			var ops []replicate.Op
			if err := t.ScanOps(ctx, replicate.OpFilter{ByHLC: true, AfterPos: last, Limit: page}, func(o replicate.Op) error {
				last = replicate.OpPos{HLC: o.HLC, Origin: o.Origin, Counter: o.Counter}
				ops = append(ops, o)
				return nil
			}); err != nil {
				return err
			}
			if err := c.observe(ctx, t, ops); err != nil {
				return err
			}
			n += len(ops)
			if len(ops) < page {
				break
			}
		}
		// Items held are the state's, counted again (the triggers keep
		// them from here on).
		if _, err := t.ExecContext(ctx, `INSERT INTO insight_held (branch_id, format, n)
			SELECT i.home_branch, coalesce(b.format, ''), count(*) FROM items i LEFT JOIN biblios b ON b.biblio_id=i.biblio_id
			WHERE i.base_status NOT IN ('withdrawn', 'lost') GROUP BY 1, 2`); err != nil {
			return err
		}
		var erasures bool
		if err := t.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name='privacy_erasures')`).Scan(&erasures); err != nil {
			return err
		}
		if erasures {
			if _, err := t.ExecContext(ctx, `DELETE FROM insight_active WHERE patron_id IN (SELECT patron_id FROM privacy_erasures)`); err != nil {
				return err
			}
		}
		if cutoff != "" {
			if _, err := pruneActive(ctx, t, cutoff); err != nil {
				return err
			}
		}
		_, err = t.ExecContext(ctx, `INSERT INTO insight_meta (k, v) VALUES ('version', ?)`, Version)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("insight: rebuild: %w", err)
	}
	return n, nil
}
