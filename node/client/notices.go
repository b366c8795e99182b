package client

import (
	"context"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// PatronNotices lists a patron's notices and contacts flagged for staff.
func (c *Client) PatronNotices(ctx context.Context, id string) (*apitype.PatronNotices, error) {
	var n apitype.PatronNotices
	return &n, c.do(ctx, "GET", pathOf("patrons", id, "notices"), nil, nil, &n)
}

// ResendNotice sends a notice again, as a new notice.
func (c *Client) ResendNotice(ctx context.Context, key string) (*domain.Notice, error) {
	var n domain.Notice
	return &n, c.do(ctx, "POST", pathOf("notices", key, "resend"), nil, nil, &n)
}
