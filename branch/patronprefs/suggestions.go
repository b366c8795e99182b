package patronprefs

import (
	"context"

	"stacks/branch"
	"stacks/replicate"
)

// fieldSuggestions is the patron's opt-in to personal suggestions drawn
// from what they borrowed (branch/recommend): "on" or "off" (the default).
const fieldSuggestions = "suggestions"

// SuggestionsOn reports whether the patron opted in to personal
// suggestions, read through q (a transaction or the read pool).
func SuggestionsOn(ctx context.Context, q replicate.Querier, patronID string) (bool, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM patron_prefs WHERE patron_id=? AND field=?), '')`,
		patronID, fieldSuggestions).Scan(&v)
	return v == "on", err
}

// Suggestions reports whether the patron opted in to personal suggestions.
func (s *Service) Suggestions(ctx context.Context, patronID string) (bool, error) {
	if _, err := s.svc.Patron(ctx, patronID); err != nil {
		return false, err
	}
	return SuggestionsOn(ctx, s.svc.Read(), patronID)
}

// SetSuggestions turns the patron's personal suggestions on or off.
// Setting what is set changes nothing.
func (s *Service) SetSuggestions(ctx context.Context, patronID string, on bool) error {
	return s.set(ctx, patronID, func(t *branch.Txn) (map[string]string, error) {
		cur, err := SuggestionsOn(ctx, t, patronID)
		if err != nil || cur == on {
			return nil, err
		}
		v := "off"
		if on {
			v = "on"
		}
		return map[string]string{fieldSuggestions: v}, nil
	})
}
