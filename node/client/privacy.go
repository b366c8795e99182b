package client

import (
	"context"
	"encoding/json"
	"net/url"

	"stacks/node/apitype"
)

// ExportPatron is everything the node holds about a patron (GDPR 15, 20),
// as the API answers it: GET /api/v1/patrons/{id}/export.
func (c *Client) ExportPatron(ctx context.Context, patronID string) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.do(ctx, "GET", "/api/v1/patrons/"+url.PathEscape(patronID)+"/export", nil, nil, &out)
	return out, err
}

// ErasePatron erases a patron (GDPR 17), with the reason:
// POST /api/v1/patrons/{id}/erasure (a supervisor's).
func (c *Client) ErasePatron(ctx context.Context, patronID, reason string) (*apitype.Erasure, error) {
	var out apitype.Erasure
	err := c.do(ctx, "POST", "/api/v1/patrons/"+url.PathEscape(patronID)+"/erasure", nil, apitype.ErasureRequest{Reason: reason}, &out)
	return &out, err
}
