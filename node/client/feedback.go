package client

import (
	"context"
	"net/url"
	"strconv"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// SendFeedback answers a survey (a patron's token, or a kiosk login with
// the patron's card or none).
func (c *Client) SendFeedback(ctx context.Context, req apitype.FeedbackRequest) (*domain.FeedbackAnswer, error) {
	var a domain.FeedbackAnswer
	return &a, c.do(ctx, "POST", pathOf("feedback"), nil, req, &a)
}

// InviteFeedback asks for a survey invitation after a transaction.
func (c *Client) InviteFeedback(ctx context.Context, req apitype.FeedbackInviteRequest) (*apitype.FeedbackInvited, error) {
	var r apitype.FeedbackInvited
	return &r, c.do(ctx, "POST", pathOf("feedback", "invitations"), nil, req, &r)
}

// CloseFeedbackInvitation takes up or declines an invitation (card: the
// patron's, when a kiosk calls).
func (c *Client) CloseFeedbackInvitation(ctx context.Context, id, card string) error {
	return c.do(ctx, "POST", pathOf("feedback", "invitations", id, "close"), nil, apitype.FeedbackClose{Cardnumber: card}, nil)
}

// FeedbackResults are NPS, CSAT and response rate per branch, channel and
// week; library, from and to may be "".
func (c *Client) FeedbackResults(ctx context.Context, library, from, to string) ([]domain.FeedbackResult, error) {
	q := url.Values{}
	for k, v := range map[string]string{"library_id": library, "from": from, "to": to} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var rs []domain.FeedbackResult
	return rs, c.do(ctx, "GET", pathOf("feedback", "results"), q, nil, &rs)
}

// FeedbackAnswers are recent answers, newest first.
func (c *Client) FeedbackAnswers(ctx context.Context, library string, withComment bool, limit int) ([]domain.FeedbackAnswer, error) {
	q := url.Values{}
	if library != "" {
		q.Set("library_id", library)
	}
	if withComment {
		q.Set("with_comment", "true")
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var as []domain.FeedbackAnswer
	return as, c.do(ctx, "GET", pathOf("feedback"), q, nil, &as)
}

// ReplyFeedback replies to a named answer.
func (c *Client) ReplyFeedback(ctx context.Context, answerID, text string) (*domain.FeedbackReply, error) {
	var r domain.FeedbackReply
	return &r, c.do(ctx, "POST", pathOf("feedback", answerID, "replies"), nil, apitype.FeedbackReplyRequest{Text: text}, &r)
}

// MyFeedback is the patron's open invitations and answers with replies.
func (c *Client) MyFeedback(ctx context.Context) (*apitype.PatronFeedback, error) {
	var p apitype.PatronFeedback
	return &p, c.do(ctx, "GET", pathOf("patron", "feedback"), nil, nil, &p)
}

// YouSaidWeDid is the published "you said, we did" entries (no login).
func (c *Client) YouSaidWeDid(ctx context.Context) ([]domain.YouSaidWeDid, error) {
	var es []domain.YouSaidWeDid
	return es, c.do(ctx, "GET", pathOf("you_said_we_did"), nil, nil, &es)
}

// AllYouSaidWeDid is every entry, drafts too (staff).
func (c *Client) AllYouSaidWeDid(ctx context.Context) ([]domain.YouSaidWeDid, error) {
	var es []domain.YouSaidWeDid
	return es, c.do(ctx, "GET", pathOf("feedback", "you_said_we_did"), nil, nil, &es)
}

// PutYouSaidWeDid adds (EntryID "") or replaces an entry.
func (c *Client) PutYouSaidWeDid(ctx context.Context, e domain.YouSaidWeDid) (*domain.YouSaidWeDid, error) {
	var out domain.YouSaidWeDid
	if e.EntryID == "" {
		return &out, c.do(ctx, "POST", pathOf("feedback", "you_said_we_did"), nil, e, &out)
	}
	return &out, c.do(ctx, "PUT", pathOf("feedback", "you_said_we_did", e.EntryID), nil, e, &out)
}

// DeleteYouSaidWeDid deletes an entry.
func (c *Client) DeleteYouSaidWeDid(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", pathOf("feedback", "you_said_we_did", id), nil, nil, nil)
}
