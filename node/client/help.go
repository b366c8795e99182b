package client

import (
	"context"
	"net/url"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// Help requests (/api/v1/help_requests).

// AskHelp puts a help request into a branch's queue: as a patron (token),
// a kiosk (login; Cardnumber of the patron or none) or staff for a card.
func (c *Client) AskHelp(ctx context.Context, req apitype.NewHelpRequest) (*apitype.HelpRequestCreated, error) {
	var out apitype.HelpRequestCreated
	return &out, c.do(ctx, "POST", pathOf("help_requests"), nil, req, &out)
}

// HelpRequests lists help requests: status (open, claimed, answered,
// closed, active or ""), libraryID (a branch's queue, or "" for all).
func (c *Client) HelpRequests(ctx context.Context, status, libraryID string) ([]domain.HelpRequest, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	if libraryID != "" {
		q.Set("library_id", libraryID)
	}
	var out []domain.HelpRequest
	return out, c.do(ctx, "GET", pathOf("help_requests"), q, nil, &out)
}

// MyHelpRequests lists the calling patron's own requests.
func (c *Client) MyHelpRequests(ctx context.Context) ([]domain.HelpRequest, error) {
	var out []domain.HelpRequest
	return out, c.do(ctx, "GET", pathOf("patron", "help_requests"), nil, nil, &out)
}

// HelpRequest reads one request and its conversation.
func (c *Client) HelpRequest(ctx context.Context, id string) (*domain.HelpRequest, error) {
	var out domain.HelpRequest
	return &out, c.do(ctx, "GET", pathOf("help_requests", id), nil, nil, &out)
}

// HelpStats are the handling times per branch and channel of requests
// asked from..to (dates, "" for no bound).
func (c *Client) HelpStats(ctx context.Context, from, to string) ([]domain.HelpStat, error) {
	q := url.Values{}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	var out []domain.HelpStat
	return out, c.do(ctx, "GET", pathOf("help_requests", "stats"), q, nil, &out)
}

func (c *Client) helpAction(ctx context.Context, id, action string, in any) (*domain.HelpRequest, error) {
	var out domain.HelpRequest
	return &out, c.do(ctx, "POST", pathOf("help_requests", id, action), nil, in, &out)
}

// ClaimHelp claims a request of this branch's queue.
func (c *Client) ClaimHelp(ctx context.Context, id string) (*domain.HelpRequest, error) {
	return c.helpAction(ctx, id, "claim", nil)
}

// TakeOverHelp takes a request over to this branch and the caller.
func (c *Client) TakeOverHelp(ctx context.Context, id string) (*domain.HelpRequest, error) {
	return c.helpAction(ctx, id, "takeover", nil)
}

// AnswerHelp answers a request (staff).
func (c *Client) AnswerHelp(ctx context.Context, id, text string) (*domain.HelpRequest, error) {
	return c.helpAction(ctx, id, "answers", apitype.HelpText{Text: text})
}

// ReplyHelp replies to the answers (the patron or kiosk that asked).
func (c *Client) ReplyHelp(ctx context.Context, id, text string) (*domain.HelpRequest, error) {
	return c.helpAction(ctx, id, "replies", apitype.HelpText{Text: text})
}

// CloseHelp closes a request.
func (c *Client) CloseHelp(ctx context.Context, id string) (*domain.HelpRequest, error) {
	return c.helpAction(ctx, id, "close", nil)
}
