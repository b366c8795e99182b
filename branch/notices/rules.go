package notices

import (
	"context"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// OverdueRule is one level of an overdue rule (domain.OverdueRule).
type OverdueRule = domain.OverdueRule

// DefaultOverdueRules apply where no rule of the branch and category (nor a
// wildcard) is set: the 1st overdue notice a day after the due date, the
// 2nd after 8 days, the 3rd after 15, no block.
var DefaultOverdueRules = []OverdueRule{
	{BranchID: "*", Category: "*", Level: 1, DelayDays: 1},
	{BranchID: "*", Category: "*", Level: 2, DelayDays: 8},
	{BranchID: "*", Category: "*", Level: 3, DelayDays: 15},
}

// SetOverdueRule sets one level of a branch and category's overdue rule.
func SetOverdueRule(ctx context.Context, svc *branch.Service, r OverdueRule) (OverdueRule, error) {
	if err := r.Check(); err != nil {
		return r, err
	}
	err := svc.Update(ctx, func(t *branch.Txn) error {
		_, err := t.Emit(ctx, KindRule, ruleOp{BranchID: r.BranchID, Category: r.Category, Level: r.Level, DelayDays: r.DelayDays,
			Template: r.Template, Block: r.Block, OpenDays: r.OpenDays})
		return err
	})
	return r, err
}

// DeleteOverdueRule removes one level of a branch and category's rule.
func DeleteOverdueRule(ctx context.Context, svc *branch.Service, branchID, category string, level int) error {
	var found int
	if err := svc.Read().QueryRowContext(ctx, `SELECT count(*) FROM notice_overdue_rules WHERE branch_id=? AND category=? AND level=? AND deleted=0`,
		branchID, category, level).Scan(&found); err != nil {
		return err
	}
	if found == 0 {
		return domain.Fail(domain.CodeNotFound, "There is no overdue rule for %s, %s, level %d.", branchID, category, level)
	}
	return svc.Update(ctx, func(t *branch.Txn) error {
		_, err := t.Emit(ctx, KindRule, ruleOp{BranchID: branchID, Category: category, Level: level, Deleted: true})
		return err
	})
}

// OverdueRules lists the rules set (not the defaults), by branch, category
// and level.
func OverdueRules(ctx context.Context, q replicate.Querier) ([]OverdueRule, error) {
	rows, err := q.QueryContext(ctx, `SELECT branch_id, category, level, delay_days, template, block, open_days FROM notice_overdue_rules
		WHERE deleted=0 ORDER BY branch_id, category, level`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []OverdueRule{}
	for rows.Next() {
		var r OverdueRule
		if err := rows.Scan(&r.BranchID, &r.Category, &r.Level, &r.DelayDays, &r.Template, &r.Block, &r.OpenDays); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ruleBook resolves the overdue levels of a branch and category: the
// levels of the most specific pair that has any rule ((branch, category),
// (branch, *), (*, category), (*, *)), else the defaults.
type ruleBook struct {
	sets  map[[2]string][]OverdueRule
	cache map[[2]string][]OverdueRule
	// openDays: some rule counts its delay in open days.
	openDays bool
}

func loadRuleBook(ctx context.Context, q replicate.Querier) (*ruleBook, error) {
	rs, err := OverdueRules(ctx, q)
	if err != nil {
		return nil, err
	}
	b := &ruleBook{sets: map[[2]string][]OverdueRule{}, cache: map[[2]string][]OverdueRule{}}
	for _, r := range rs {
		k := [2]string{r.BranchID, r.Category}
		b.sets[k] = append(b.sets[k], r)
		b.openDays = b.openDays || r.OpenDays
	}
	return b, nil
}

// levels are the overdue levels for a loan of branchID to a patron of
// category, ordered by level.
func (b *ruleBook) levels(branchID, category string) []OverdueRule {
	k := [2]string{branchID, category}
	if ls, ok := b.cache[k]; ok {
		return ls
	}
	ls := DefaultOverdueRules
	for _, c := range [][2]string{{branchID, category}, {branchID, "*"}, {"*", category}, {"*", "*"}} {
		if s, ok := b.sets[c]; ok {
			ls = s
			break
		}
	}
	b.cache[k] = ls
	return ls
}
