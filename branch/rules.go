package branch

import (
	"context"

	"stacks/branch/domain"
	"stacks/replicate"
)

// ruleFor finds the most specific rule for a branch, patron category and
// item type: branch beats category beats item type, and a named value beats
// the '*' wildcard (as Koha's circulation rules do).
func ruleFor(ctx context.Context, q querier, branch, category, itemType string) (domain.Rule, error) {
	// The matrix is small; filtering it here is faster than SQLite's plan
	// for the OR-of-wildcards query.
	rules, err := listRules(ctx, q)
	if err != nil {
		return domain.Rule{}, err
	}
	return pickRule(rules, branch, category, itemType), nil
}

// pickRule is the most specific of rules for a branch, category and item
// type (domain.DefaultRule when none matches).
func pickRule(rules []domain.Rule, branch, category, itemType string) domain.Rule {
	best, bestScore := domain.DefaultRule, -1
	for _, r := range rules {
		if (r.BranchID != branch && r.BranchID != "*") || (r.Category != category && r.Category != "*") ||
			(r.ItemType != itemType && r.ItemType != "*") {
			continue
		}
		score := 0
		if r.BranchID != "*" {
			score += 4
		}
		if r.Category != "*" {
			score += 2
		}
		if r.ItemType != "*" {
			score++
		}
		if score > bestScore {
			best, bestScore = r, score
		}
	}
	return best
}

const rulesMemo = "branch.rules"

// listRules reads the matrix: from the policy snapshot in a command, once
// per transaction in an applier's.
func listRules(ctx context.Context, q querier) ([]domain.Rule, error) {
	var memo map[string]any
	switch tx := q.(type) {
	case *txn:
		return tx.rules(ctx)
	case *replicate.Tx:
		memo = txMemo(tx)
	}
	if rs, ok := memo[rulesMemo].([]domain.Rule); ok {
		return rs, nil
	}
	rs, err := readRules(ctx, q)
	if err == nil && memo != nil {
		memo[rulesMemo] = rs
	}
	return rs, err
}

func readRules(ctx context.Context, q querier) ([]domain.Rule, error) {
	rows, err := q.QueryContext(ctx, `SELECT branch_id, category, item_type, loan_days, renewals, max_loans, fine_cents, grace_days,
		max_fine_cents, holds_allowed FROM rules WHERE deleted=0 ORDER BY branch_id, category, item_type`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Rule{}
	for rows.Next() {
		var r domain.Rule
		if err := rows.Scan(&r.BranchID, &r.Category, &r.ItemType, &r.LoanDays, &r.Renewals, &r.MaxLoans, &r.FineCents,
			&r.GraceDays, &r.MaxFineCents, &r.HoldsAllowed); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetRule creates or replaces one cell of the rules matrix.
func (s *Service) SetRule(ctx context.Context, r domain.Rule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return s.update(ctx, func(t *txn) error {
		_, err := t.emit(ctx, KindRuleSet, fieldsOp{
			Key: map[string]any{"branch_id": r.BranchID, "category": r.Category, "item_type": r.ItemType},
			Fields: map[string]any{"loan_days": r.LoanDays, "renewals": r.Renewals, "max_loans": r.MaxLoans,
				"fine_cents": r.FineCents, "grace_days": r.GraceDays, "max_fine_cents": r.MaxFineCents,
				"holds_allowed": r.HoldsAllowed, "deleted": false},
		})
		return err
	})
}

// DeleteRule removes one cell of the matrix (a tombstone, so it merges).
func (s *Service) DeleteRule(ctx context.Context, branch, category, itemType string) error {
	if err := (domain.Rule{BranchID: branch, Category: category, ItemType: itemType}).Validate(); err != nil {
		return err
	}
	return s.update(ctx, func(t *txn) error {
		_, err := t.emit(ctx, KindRuleSet, fieldsOp{
			Key:    map[string]any{"branch_id": branch, "category": category, "item_type": itemType},
			Fields: map[string]any{"deleted": true},
		})
		return err
	})
}

// Rules lists the matrix.
func (s *Service) Rules(ctx context.Context) ([]domain.Rule, error) {
	return listRules(ctx, s.db.Read())
}

// EffectiveRule is the rule that applies to a category and item type here.
func (s *Service) EffectiveRule(ctx context.Context, branch, category, itemType string) (domain.Rule, error) {
	return ruleFor(ctx, s.db.Read(), branch, category, itemType)
}
