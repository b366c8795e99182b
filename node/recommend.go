package node

import (
	"context"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/patronprefs"
	"stacks/branch/recommend"
	"stacks/node/web"
)

// WebRecommender is the patron web's recommendations: "also borrowed" and
// own suggestions (branch/recommend), the opt-in (branch/patronprefs).
type WebRecommender struct {
	Rec   *recommend.Service
	Prefs *patronprefs.Service
}

var _ web.Recommender = WebRecommender{}

// NewWebRecommender returns the recommendations of svc's node.
func NewWebRecommender(svc *branch.Service) WebRecommender {
	return WebRecommender{Rec: recommend.New(svc), Prefs: patronprefs.New(svc)}
}

func (w WebRecommender) AlsoBorrowed(ctx context.Context, biblioID string, n int) (*domain.Recommendations, error) {
	return w.Rec.AlsoBorrowed(ctx, biblioID, n)
}

func (w WebRecommender) ForPatron(ctx context.Context, patronID string, n int) (*domain.Recommendations, error) {
	return w.Rec.ForPatron(ctx, patronID, n)
}

func (w WebRecommender) Suggestions(ctx context.Context, patronID string) (bool, error) {
	return w.Prefs.Suggestions(ctx, patronID)
}

func (w WebRecommender) SetSuggestions(ctx context.Context, patronID string, on bool) error {
	return w.Prefs.SetSuggestions(ctx, patronID, on)
}
