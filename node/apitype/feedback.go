package apitype

import "stacks/branch/domain"

// FeedbackRequest is POST /api/v1/feedback: a survey answer. Score is
// satisfaction 1-5 (CSAT), NPS "how likely are you to recommend the
// library" 0-10; either may be left out, as may the comment, but not all
// three. A patron answers with their token; a kiosk with its login and
// the patron's cardnumber (none: an anonymous answer). Anonymous keeps the
// patron's name out of the answer altogether.
type FeedbackRequest struct {
	Score        *int           `json:"score"`
	NPS          *int           `json:"nps"`
	Comment      string         `json:"comment"`
	Channel      domain.Channel `json:"channel"`
	Anonymous    bool           `json:"anonymous,omitempty"`
	InvitationID string         `json:"invitation_id,omitempty"`
	Cardnumber   string         `json:"cardnumber,omitempty"`
}

// FeedbackInviteRequest is POST /api/v1/feedback/invitations: invite the
// patron (by patron_id or cardnumber) after a transaction of kind
// (renewal, hold_pickup, kiosk_session, event_attended, help_closed).
type FeedbackInviteRequest struct {
	PatronID   string         `json:"patron_id,omitempty"`
	Cardnumber string         `json:"cardnumber,omitempty"`
	Kind       string         `json:"kind"`
	Ref        string         `json:"ref,omitempty"`
	Channel    domain.Channel `json:"channel,omitempty"`
}

// FeedbackInvited answers an invitation request: Invited false when the
// patron was invited less than the configured days ago or the transaction
// no longer stands.
type FeedbackInvited struct {
	Invited    bool                       `json:"invited"`
	Invitation *domain.FeedbackInvitation `json:"invitation,omitempty"`
}

// FeedbackClose is POST /api/v1/feedback/invitations/{id}/close from a
// kiosk: the patron's card. A patron's token needs no body.
type FeedbackClose struct {
	Cardnumber string `json:"cardnumber,omitempty"`
}

// FeedbackReplyRequest is POST /api/v1/feedback/{id}/replies.
type FeedbackReplyRequest struct {
	Text string `json:"text"`
}

// PatronFeedback is GET /api/v1/patron/feedback: the patron's open
// invitations and named answers with staff replies.
type PatronFeedback struct {
	Pending []domain.FeedbackInvitation `json:"pending"`
	Answers []domain.FeedbackAnswer     `json:"answers"`
}
