package node

import (
	"context"

	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/branch/feedback"
	"stacks/branch/help"
	"stacks/node/web"
)

// Feedback's wiring: one survey service per node (branch/feedback), given
// to the API, the patron web and the handoff codes' pickup (which invites
// after a hold pickup). Events invite the patron when a ticket is checked
// in (desk, kiosk, API), and help requests when staff close an identified
// patron's request; their kinds' "still stands" checks are registered
// here. Invitations are limited per patron by Config.FeedbackEvery,
// checked against what this node knows.

// openFeedback makes the node's surveys and the one help service the API
// and the web share, and hooks events' check-ins and help's closes to the
// surveys.
func (n *Node) openFeedback() {
	n.feedback = feedback.New(n.svc, feedback.Config{Every: n.cfg.FeedbackEvery, Rand: n.cfg.Rand})
	n.feedback.Register(domain.FeedbackEvent, events.AttendedStands)
	n.feedback.Register(domain.FeedbackHelp, help.ClosedStands)
	n.events.SetFeedback(n.feedback)
	n.help = help.New(n.svc, nil)
	n.help.SetFeedback(n.feedback)
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
