package client

import (
	"context"

	"stacks/node/apitype"
)

// ImportBiblios imports one batch of MARC records (one transaction on the
// server) and returns what became of each, in order.
func (c *Client) ImportBiblios(ctx context.Context, req apitype.ImportRequest) (*apitype.ImportResponse, error) {
	var out apitype.ImportResponse
	return &out, c.do(ctx, "POST", pathOf("biblios", "import"), nil, req, &out)
}
