package branch

import (
	"context"
	"fmt"
	"strings"

	"stacks/branch/domain"
	"stacks/replicate"
)

// Derived state (an item's status, the conflicts queue) is re-derived from
// the merged state once the op, or the batch of remote ops, is applied.
// Appliers name what they touched; the keys are collected per transaction
// and re-derived together, with set-based statements where a batch touches
// many (a catch-up touches thousands of items).

// keySet is a set of keys in the order first added.
type keySet struct {
	keys []string
	seen map[string]bool
}

func (s *keySet) add(k string) {
	if !s.seen[k] {
		s.seen[k] = true
		s.keys = append(s.keys, k)
	}
}

// deferKey adds key to the transaction's set named name and, when the set
// is new, schedules run over it once the op or batch is applied.
func deferKey(tx *replicate.Tx, name, key string, run func(keys []string) error) {
	memo := txMemo(tx)
	s, _ := memo[name].(*keySet)
	if s == nil {
		s = &keySet{seen: map[string]bool{}}
		memo[name] = s
		tx.Defer(name, func() error {
			delete(memo, name) // a key added while run works starts a new set
			return run(s.keys)
		})
	}
	s.add(key)
}

const (
	refreshItemsMemo = "branch.derive.items"
	doubleLoansMemo  = "branch.derive.double_loans"
	loanLimitsMemo   = "branch.derive.loan_limits"
	touchedItemsMemo = "branch.touched.items"
	touchedBibsMemo  = "branch.touched.biblios"
	touchedRunMemo   = "branch.touched"
)

// touch adds key to the transaction's set of touched titles or copies
// (name), for the capabilities' Touched hooks.
func touch(tx *replicate.Tx, name, key string) {
	memo := txMemo(tx)
	s, _ := memo[name].(*keySet)
	if s == nil {
		s = &keySet{seen: map[string]bool{}}
		memo[name] = s
	}
	s.add(key)
}

// MarkTouched records, for the capabilities' Touched hooks, titles and
// copies that a capability's applier changed in a way derived state may
// read (a digital loan taking a licence, say): they are handed on with the
// core's once the batch is applied.
func MarkTouched(tx *replicate.Tx, biblios, items []string) {
	for _, id := range biblios {
		touch(tx, touchedBibsMemo, id)
	}
	for _, id := range items {
		touch(tx, touchedItemsMemo, id)
	}
}

// deferTouched schedules the capabilities' Touched hooks over what the
// transaction touched, once, after the items' statuses are re-derived.
func (a Applier) deferTouched(ctx context.Context, tx *replicate.Tx) {
	if !a.touchHooks {
		return
	}
	memo := txMemo(tx)
	if memo[touchedRunMemo] != nil || (memo[touchedItemsMemo] == nil && memo[touchedBibsMemo] == nil) {
		return
	}
	memo[touchedRunMemo] = true
	var run func() error
	run = func() error {
		if memo[refreshItemsMemo] != nil {
			// Statuses still to re-derive: run after them.
			tx.Defer(touchedRunMemo+".again", run)
			return nil
		}
		delete(memo, touchedRunMemo)
		var t Touched
		if s, ok := memo[touchedBibsMemo].(*keySet); ok {
			t.Biblios = s.keys
		}
		if s, ok := memo[touchedItemsMemo].(*keySet); ok {
			t.Items = s.keys
		}
		delete(memo, touchedBibsMemo)
		delete(memo, touchedItemsMemo)
		for _, c := range a.caps {
			if c.Touched != nil {
				if err := c.Touched(ctx, tx, t); err != nil {
					return fmt.Errorf("%s: %w", c.Name, err)
				}
			}
		}
		return nil
	}
	tx.Defer(touchedRunMemo, run)
}

// deferRefreshItem re-derives an item's status once the current op (or
// batch of remote ops) is applied.
func deferRefreshItem(ctx context.Context, tx *replicate.Tx, itemID string) {
	touch(tx, touchedItemsMemo, itemID)
	deferKey(tx, refreshItemsMemo, itemID, func(ids []string) error { return refreshItems(ctx, tx, ids) })
}

// deferConflict re-derives one conflict once the op or batch is applied.
func deferConflict(ctx context.Context, tx *replicate.Tx, kind string, args ...string) {
	if kind == domain.ConflictDoubleLoan && len(args) == 2 {
		deferKey(tx, doubleLoansMemo, args[0]+"\x00"+args[1], func(keys []string) error { return recomputeDoubleLoans(ctx, tx, keys) })
		return
	}
	if kind == domain.ConflictLoanLimit && len(args) == 1 {
		deferKey(tx, loanLimitsMemo, args[0], func(ids []string) error { return recomputeLimits(ctx, tx, ids) })
		return
	}
	tx.Defer(kind+"\x00"+strings.Join(args, "\x00"), func() error { return recompute(ctx, tx, kind, args) })
}

// itemStatus is the derived status of the item aliased i: on loan, else
// the status staff gave it, else on the hold shelf or in transit for a
// hold (one look at the holds trapping it), else in transit, else
// available.
const itemStatus = `CASE
		WHEN EXISTS (SELECT 1 FROM loans WHERE item_id=i.item_id AND issued=1 AND return_stamp='') THEN 'checked_out'
		WHEN i.base_status<>'' AND i.base_status<>'available' THEN i.base_status
		ELSE coalesce((SELECT CASE min(CASE status WHEN 'ready' THEN 1 ELSE 2 END) WHEN 1 THEN 'on_hold_shelf' WHEN 2 THEN 'in_transit' END
			FROM holds WHERE trapped_item=i.item_id AND status IN ('ready', 'in_transit')),
			CASE WHEN i.transit_to<>'' THEN 'in_transit' ELSE 'available' END) END`

// refreshItems derives items' status from their loans, holds, transit and
// the status staff gave them. Rows whose status is unchanged are not
// written.
func refreshItems(ctx context.Context, tx *replicate.Tx, ids []string) error {
	if len(ids) == 1 {
		_, err := tx.ExecContext(ctx, `UPDATE items AS i SET status = `+itemStatus+` WHERE item_id=?`, ids[0])
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE items SET status = n.s FROM (
		SELECT i.item_id AS id, `+itemStatus+` AS s FROM json_each(?) AS j CROSS JOIN items AS i ON i.item_id=j.value) AS n
		WHERE items.item_id=n.id AND items.status<>n.s`, replicate.JSONList(ids))
	return err
}

// anyConflicts reports whether any conflict or resolution exists; most
// batches meet none, and then no conflict can need clearing.
func anyConflicts(ctx context.Context, tx *replicate.Tx) (bool, error) {
	memo := txMemo(tx)
	if any, ok := memo[conflictsMemo].(bool); ok {
		return any, nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM conflicts) OR EXISTS (SELECT 1 FROM conflict_resolutions)`).Scan(&n); err != nil {
		return false, err
	}
	memo[conflictsMemo] = n == 1
	return n == 1, nil
}

// recomputeDoubleLoans re-derives the double-loan conflicts of (item,
// predecessor) keys, "item\x00after". Only keys whose condition holds (two
// issued loans after one predecessor) or that have a conflict or resolution
// recorded can change; those are found with two set-based queries and
// re-derived one by one.
func recomputeDoubleLoans(ctx context.Context, tx *replicate.Tx, keys []string) error {
	split := func(k string) (string, string) {
		item, after, _ := strings.Cut(k, "\x00")
		return item, after
	}
	if len(keys) == 1 {
		item, after := split(keys[0])
		return recomputeDoubleLoan(ctx, tx, item, after)
	}
	pairs := make([][2]string, len(keys))
	for i, k := range keys {
		pairs[i][0], pairs[i][1] = split(k)
	}
	redo := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT j.value->>0, j.value->>1 FROM json_each(?) AS j
		WHERE (SELECT count(*) FROM loans WHERE item_id=j.value->>0 AND after_loan=j.value->>1 AND issued=1) > 1`, replicate.JSONList(pairs))
	if err != nil {
		return err
	}
	for rows.Next() {
		var item, after string
		if err := rows.Scan(&item, &after); err != nil {
			rows.Close()
			return err
		}
		redo[item+"\x00"+after] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	any, err := anyConflicts(ctx, tx)
	if err != nil {
		return err
	}
	if any {
		ids := make([]string, len(keys))
		byID := make(map[string]string, len(keys))
		for i, k := range keys {
			ids[i] = conflictID(domain.ConflictDoubleLoan, pairs[i][0], pairs[i][1])
			byID[ids[i]] = k
		}
		known, err := queryStrings(ctx, tx, `SELECT conflict_id FROM conflicts WHERE conflict_id IN (SELECT value FROM json_each(?1))
			UNION SELECT conflict_id FROM conflict_resolutions WHERE conflict_id IN (SELECT value FROM json_each(?1))`, replicate.JSONList(ids))
		if err != nil {
			return err
		}
		for _, id := range known {
			redo[byID[id]] = true
		}
	}
	for i, k := range keys {
		if redo[k] {
			if err := recomputeDoubleLoan(ctx, tx, pairs[i][0], pairs[i][1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// recomputeLimits re-derives the loan-limit conflicts of patrons. Only a
// patron over the limit, or with a conflict or resolution recorded, can
// change: one query counts every patron's open loans (with the home branch
// and category that choose the rule) and finds the recorded ones, and only
// those are re-derived one by one.
func recomputeLimits(ctx context.Context, tx *replicate.Tx, ids []string) error {
	if len(ids) == 1 {
		return recomputeLimit(ctx, tx, ids[0])
	}
	any, err := anyConflicts(ctx, tx)
	if err != nil {
		return err
	}
	known := `0`
	if any {
		known = `EXISTS (SELECT 1 FROM conflicts WHERE conflict_id=j.value->>1) OR EXISTS (SELECT 1 FROM conflict_resolutions WHERE conflict_id=j.value->>1)`
	}
	pairs := make([][2]string, len(ids))
	for i, id := range ids {
		pairs[i] = [2]string{id, conflictID(domain.ConflictLoanLimit, id)}
	}
	// The count is recomputeLimit's, patron by patron.
	rows, err := tx.QueryContext(ctx, `SELECT p.patron_id, p.home_branch, p.category,
		(SELECT count(*) FROM loans WHERE patron_id=p.patron_id AND returned_at='' AND issued=1 AND return_stamp=''
			AND instr(overridden, 'too_many_loans')=0), `+known+`
		FROM json_each(?) AS j CROSS JOIN patrons AS p ON p.patron_id=j.value->>0`, replicate.JSONList(pairs))
	if err != nil {
		return err
	}
	type count struct {
		home, cat string
		n         int
		known     bool
	}
	counts := make(map[string]count, len(ids))
	for rows.Next() {
		var id string
		var c count
		if err := rows.Scan(&id, &c.home, &c.cat, &c.n, &c.known); err != nil {
			rows.Close()
			return err
		}
		counts[id] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		c, ok := counts[id]
		if !ok {
			continue // no such patron: recomputeLimit does nothing either
		}
		redo := c.known
		if !redo {
			rule, err := ruleFor(ctx, tx, c.home, c.cat, "*")
			if err != nil {
				return err
			}
			redo = c.n > rule.MaxLoans
		}
		if redo {
			if err := recomputeLimit(ctx, tx, id); err != nil {
				return err
			}
		}
	}
	return nil
}
