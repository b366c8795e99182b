package simulations

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/feedback"
	"stacks/replicate"
)

// FeedbackBugs are bugs the simulation can plant in feedback:
// feedback-offered-twice offers every invitation, so a patron invited at
// two branches cut off from each other is asked twice in one period.
var FeedbackBugs = []string{"feedback-offered-twice"}

// feedbackVisit is the phase's own kind of transaction: it always stands,
// so what is checked is the once-a-period rule alone.
const feedbackVisit = "sim_visit"

// feedbackPhase is "asked once a period": after healing, two or more
// branches, cut off from each other, each invite one patron to a survey
// (each, knowing of no earlier invitation, does), and each refuses a
// second invitation of its own; then every branch exchanges with every
// other. Every branch must then offer the patron exactly one invitation,
// the same one, and hold the same feedback state.
func (s *sim) feedbackPhase() {
	r := rand.New(rand.NewPCG(s.cfg.Seed, 0xfeedbac))
	var live []*simNode
	for _, n := range s.nodes {
		if n.isUp && n.svc != nil {
			live = append(live, n)
		}
	}
	if len(live) < 2 {
		return
	}
	r.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	ids, err := queryIDs(s.ctx, live[0].db.Read(), `SELECT patron_id FROM patrons WHERE cardnumber<>'' ORDER BY patron_id`)
	if err != nil || len(ids) == 0 {
		if err != nil {
			s.fail("feedback: %v", err)
		}
		return
	}
	patron := ids[r.IntN(len(ids))]
	fbs := make([]*feedback.Service, len(live))
	for i, n := range live {
		var seed [32]byte
		copy(seed[:], fmt.Sprintf("feedback %d %d", s.cfg.Seed, i))
		fbs[i] = feedback.New(n.svc, feedback.Config{Rand: rand.NewChaCha8(seed), PlantOfferAll: s.cfg.PlantBug == "feedback-offered-twice"})
		fbs[i].Register(feedbackVisit, func(context.Context, replicate.Querier, domain.FeedbackInvitation, time.Time) (bool, error) {
			return true, nil
		})
	}
	kiosk := domain.WithActor(s.ctx, domain.Actor{ID: "kiosk", Role: domain.RoleKiosk, Channel: domain.ChannelKiosk})
	cut := 2 + r.IntN(len(live)-1)
	for i := range cut {
		tr := domain.FeedbackTrigger{PatronID: patron, Kind: feedbackVisit, Ref: fmt.Sprint(i), Channel: domain.ChannelKiosk, LibraryID: live[i].branch}
		inv, err := fbs[i].Invite(kiosk, tr)
		if err != nil || inv == nil {
			s.fail("feedback: %s did not invite %s, cut off and knowing of no invitation: %v", live[i].branch, patron, err)
			return
		}
		if again, err := fbs[i].Invite(kiosk, tr); err != nil || again != nil {
			s.fail("feedback: %s invited %s twice in one period: %v %v", live[i].branch, patron, again, err)
		}
	}
	s.exchangeRounds(r, live, "feedback")
	tables := branch.StateTables(feedback.Capability())
	var wantHash, wantInv string
	for i, n := range live {
		h, err := replicate.StateHash(s.ctx, n.db.Read(), tables)
		if err != nil {
			s.fail("feedback: %v", err)
			return
		}
		pending, err := fbs[i].Pending(s.ctx, patron)
		if err != nil {
			s.fail("feedback: %v", err)
			return
		}
		if len(pending) != 1 {
			s.fail("feedback: %s offers %s %d invitations after %d cut-off branches invited them in one period, want 1", n.branch, patron, len(pending), cut)
			continue
		}
		if i == 0 {
			wantHash, wantInv = h, pending[0].InvitationID
			continue
		}
		if h != wantHash {
			s.fail("feedback: %s's feedback state differs from %s's after healing", n.branch, live[0].branch)
		}
		if pending[0].InvitationID != wantInv {
			s.fail("feedback: %s offers invitation %s, %s offers %s", n.branch, pending[0].InvitationID, live[0].branch, wantInv)
		}
	}
	s.res.FeedbackChecks++
}
