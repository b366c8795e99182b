package client

import (
	"context"
	"net/url"
	"strconv"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// AlsoBorrowed is "patrons who borrowed this also borrowed" for a title,
// at most limit titles (0: the server's default).
func (c *Client) AlsoBorrowed(ctx context.Context, biblioID string, limit int) (*domain.Recommendations, error) {
	var r domain.Recommendations
	return &r, c.do(ctx, "GET", pathOf("biblios", biblioID, "recommendations"), limitParam(limit), nil, &r)
}

// MyRecommendations is the logged-in patron's own suggestions; refused
// (not_permitted) unless they turned them on.
func (c *Client) MyRecommendations(ctx context.Context, limit int) (*domain.Recommendations, error) {
	var r domain.Recommendations
	return &r, c.do(ctx, "GET", pathOf("patron", "recommendations"), limitParam(limit), nil, &r)
}

// MySuggestions reports whether the patron's own suggestions are on.
func (c *Client) MySuggestions(ctx context.Context) (bool, error) {
	var s apitype.SuggestionsSetting
	err := c.do(ctx, "GET", pathOf("patron", "suggestions"), nil, nil, &s)
	return s.Enabled != nil && *s.Enabled, err
}

// SetMySuggestions turns the patron's own suggestions on or off.
func (c *Client) SetMySuggestions(ctx context.Context, on bool) error {
	return c.do(ctx, "PUT", pathOf("patron", "suggestions"), nil, apitype.SuggestionsSetting{Enabled: &on}, nil)
}

func limitParam(n int) url.Values {
	if n <= 0 {
		return nil
	}
	return url.Values{"limit": {strconv.Itoa(n)}}
}
