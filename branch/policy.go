package branch

import (
	"context"
	"stacks/branch/domain"
	"sync"
)

// The policy (rules matrix, calendars, patron categories, libraries) is read
// by nearly every command and changes rarely. Commands keep it in an
// in-memory snapshot keyed by the policy token (migration 030): triggers on
// the policy tables set a fresh random token whenever a row changes, by a
// local command, an op arriving by sync, a replay or a restore, and a
// rolled-back change rolls the token back with it. A command reads the token
// once in its own transaction and uses the snapshot only if it was filled
// under that very token, so it never sees policy other than its
// transaction's. Queries outside a command (on the read pool) do not use
// the snapshot; the appliers use the rules a command of their own
// transaction read (rules).

const policyTokenMemo = "branch.policy_token"

// policyKinds are the op kinds that write the policy tables.
var policyKinds = map[string]bool{KindRuleSet: true, KindHoursSet: true, KindClosedSet: true, KindCategorySet: true,
	KindLibrarySet: true}

// policyCache is a Service's snapshot; commands fill it lazily.
type policyCache struct {
	mu    sync.Mutex
	token int64
	valid bool
	rules []domain.Rule
	cals  map[string]*calendar
	cats  map[string]domain.Category
	libs  map[string]domain.Library
}

// policyToken is the token of t's view of the policy tables, read once per
// command (emit forgets it when the command itself writes policy).
func (t *txn) policyToken(ctx context.Context) (int64, error) {
	memo := txMemo(t.Tx)
	if tok, ok := memo[policyTokenMemo].(int64); ok {
		return tok, nil
	}
	var tok int64
	if err := t.QueryRowContext(ctx, `SELECT token FROM policy_token WHERE id=0`).Scan(&tok); err != nil {
		return 0, err
	}
	memo[policyTokenMemo] = tok
	return tok, nil
}

// balanceAndPolicy is a patron's balance, read in one statement with the
// policy token when the command has not read the token yet (the policy is
// needed next: the category's fine limit, the rules).
func (t *txn) balanceAndPolicy(ctx context.Context, patronID string) (int64, error) {
	memo := txMemo(t.Tx)
	if _, ok := memo[policyTokenMemo].(int64); ok {
		return balance(ctx, t, patronID)
	}
	var bal, tok int64
	if err := t.QueryRowContext(ctx, `SELECT (SELECT coalesce(sum(amount_cents),0) FROM fees WHERE patron_id=?),
		(SELECT token FROM policy_token WHERE id=0)`, patronID).Scan(&bal, &tok); err != nil {
		return 0, err
	}
	memo[policyTokenMemo] = tok
	return bal, nil
}

// forgetPolicy drops what this command remembered of the policy, after it
// wrote some.
func (t *txn) forgetPolicy() {
	if t.Memo != nil {
		delete(t.Memo, policyTokenMemo)
		delete(t.Memo, rulesMemo)
	}
}

// at returns the cache locked and reset to token; the caller unlocks.
func (c *policyCache) at(token int64) *policyCache {
	c.mu.Lock()
	if !c.valid || c.token != token {
		c.token, c.valid = token, true
		c.rules, c.cals, c.cats, c.libs = nil, map[string]*calendar{}, map[string]domain.Category{}, map[string]domain.Library{}
	}
	return c
}

// store runs fill under the lock if the cache is still at token.
func (c *policyCache) store(token int64, fill func(c *policyCache)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.valid && c.token == token {
		fill(c)
	}
}

// rules is the matrix as t sees it.
func (t *txn) rules(ctx context.Context) ([]domain.Rule, error) {
	tok, err := t.policyToken(ctx)
	if err != nil {
		return nil, err
	}
	c := t.s.policy.at(tok)
	rs := c.rules
	c.mu.Unlock()
	if rs == nil {
		if rs, err = readRules(ctx, t); err != nil {
			return nil, err
		}
		t.s.policy.store(tok, func(c *policyCache) { c.rules = rs })
	}
	// The appliers of this transaction's ops (a checkout's loan-limit
	// conflict) read the matrix through the transaction's memo: it is the
	// same matrix, read under the same token, and it goes from the memo
	// with the token whenever policy is written in the transaction (emit,
	// and the rules' applier).
	txMemo(t.Tx)[rulesMemo] = rs
	return rs, nil
}

// policyEntry is one keyed entry of the policy snapshot (a calendar, a
// category, a library) as t sees it: from the snapshot if it was filled
// under t's policy token, else loaded and stored for the next command.
func policyEntry[T any](ctx context.Context, t *txn, table func(*policyCache) map[string]T, key string, load func() (T, error)) (T, error) {
	var zero T
	tok, err := t.policyToken(ctx)
	if err != nil {
		return zero, err
	}
	c := t.s.policy.at(tok)
	v, ok := table(c)[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	if v, err = load(); err != nil {
		return zero, err
	}
	t.s.policy.store(tok, func(c *policyCache) { table(c)[key] = v })
	return v, nil
}

// calendar is branch's calendar as t sees it. The result is shared: read only.
func (t *txn) calendar(ctx context.Context, branch string) (*calendar, error) {
	return policyEntry(ctx, t, func(c *policyCache) map[string]*calendar { return c.cals }, branch,
		func() (*calendar, error) { return loadCalendar(ctx, t, branch) })
}

// category is a patron category as t sees it.
func (t *txn) category(ctx context.Context, id string) (*domain.Category, error) {
	cat, err := policyEntry(ctx, t, func(c *policyCache) map[string]domain.Category { return c.cats }, id, func() (domain.Category, error) {
		p, err := getCategory(ctx, t, id)
		if err != nil {
			return domain.Category{}, err
		}
		return *p, nil
	})
	if err != nil {
		return nil, err
	}
	return &cat, nil
}

// library is a library (branch) as t sees it.
func (t *txn) library(ctx context.Context, id string) (*domain.Library, error) {
	l, err := policyEntry(ctx, t, func(c *policyCache) map[string]domain.Library { return c.libs }, id, func() (domain.Library, error) {
		p, err := getLibrary(ctx, t, id)
		if err != nil {
			return domain.Library{}, err
		}
		return *p, nil
	})
	if err != nil {
		return nil, err
	}
	return &l, nil
}
