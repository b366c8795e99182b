package node

import (
	"context"

	"stacks/branch/domain"
	"stacks/branch/feedback"
	"stacks/node/web"
)

// Feedback's wiring: one survey service per node (branch/feedback), given
// to the API, the patron web and the handoff codes' pickup (which invites
// after a hold pickup). Invitations are limited per patron by
// Config.FeedbackEvery, checked against what this node knows.

// openFeedback makes the node's surveys.
func (n *Node) openFeedback() {
	n.feedback = feedback.New(n.svc, feedback.Config{Every: n.cfg.FeedbackEvery, Rand: n.cfg.Rand})
}

// Feedback is the node's surveys; other capabilities' wiring registers
// their kinds with it and calls Invite after their transactions.
func (n *Node) Feedback() *feedback.Service { return n.feedback }

// WebFeedback lets the patron web use the surveys (web.Feedback).
type WebFeedback struct{ F *feedback.Service }

var _ web.Feedback = WebFeedback{}

// Invite invites after a transaction.
func (a WebFeedback) Invite(ctx context.Context, tr domain.FeedbackTrigger) (*domain.FeedbackInvitation, error) {
	return a.F.Invite(ctx, tr)
}

// Pending are the patron's open invitations.
func (a WebFeedback) Pending(ctx context.Context, patronID string) ([]domain.FeedbackInvitation, error) {
	return a.F.Pending(ctx, patronID)
}

// Invitation is one invitation.
func (a WebFeedback) Invitation(ctx context.Context, id string) (*domain.FeedbackInvitation, error) {
	return a.F.Invitation(ctx, id)
}

// Close takes up or declines an invitation.
func (a WebFeedback) Close(ctx context.Context, patronID, id string) error {
	return a.F.Close(ctx, patronID, id)
}

// Answer records an answer.
func (a WebFeedback) Answer(ctx context.Context, patronID string, anonymous bool, invitationID string, score, nps *int, comment string) (*domain.FeedbackAnswer, error) {
	return a.F.Answer(ctx, feedback.AnswerRequest{PatronID: patronID, Anonymous: anonymous, InvitationID: invitationID,
		Channel: domain.ChannelWeb, Score: score, NPS: nps, Comment: comment})
}

// PatronAnswers are the patron's named answers with replies.
func (a WebFeedback) PatronAnswers(ctx context.Context, patronID string) ([]domain.FeedbackAnswer, error) {
	return a.F.PatronAnswers(ctx, patronID)
}

// Entries are the "you said, we did" entries.
func (a WebFeedback) Entries(ctx context.Context, publishedOnly bool) ([]domain.YouSaidWeDid, error) {
	return a.F.Entries(ctx, feedback.YSWDFilter{PublishedOnly: publishedOnly})
}
