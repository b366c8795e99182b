package branch

import (
	"context"

	"stacks/branch/domain"
	"stacks/replicate"
)

// What a capability that lends outside the item table (branch/digital's
// e-book loans) reads of the core, inside its own transaction: a
// replicated state machine decides against exactly the state its
// transaction holds, so none of these reads a cache or the read pool.

// PatronIn is the patron with id, else with card number card, as q sees it.
func PatronIn(ctx context.Context, q replicate.Querier, id, card string) (*domain.Patron, error) {
	return findPatron(ctx, q, id, card)
}

// BiblioIn is the title id as q sees it.
func BiblioIn(ctx context.Context, q replicate.Querier, id string) (*domain.Biblio, error) {
	return getBiblio(ctx, q, id)
}

// PatronRefusalsIn are the reasons p may not borrow today (blocked, card
// expired, fines over the category's limit), as q sees them.
func PatronRefusalsIn(ctx context.Context, q replicate.Querier, p *domain.Patron, today string) ([]*domain.Error, error) {
	bal, err := balance(ctx, q, p.PatronID)
	if err != nil {
		return nil, err
	}
	var maxFine int64
	if cat, err := getCategory(ctx, q, p.Category); err == nil {
		maxFine = cat.MaxFineCents
	}
	return patronRefusals(p, bal, maxFine, today), nil
}

// RuleIn is the rule of the matrix for a branch, patron category and item
// type, read from q (no snapshot, no memo).
func RuleIn(ctx context.Context, q replicate.Querier, branch, category, itemType string) (domain.Rule, error) {
	rules, err := readRules(ctx, q)
	if err != nil {
		return domain.Rule{}, err
	}
	return pickRule(rules, branch, category, itemType), nil
}
