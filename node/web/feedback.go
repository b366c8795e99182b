package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"stacks/branch/domain"
)

// Feedback on the web: after a renewal here (or a hold pickup at the desk
// or a kiosk) the account invites the patron to a short survey, at most
// once per the library's period and only while the transaction stands;
// the survey page (radio groups in fieldsets, no script needed); the
// patron's answers with staff replies; the public "you said, we did" page,
// linked from every page's footer.

// Feedback is the surveys (branch/feedback, adapted by node).
type Feedback interface {
	Invite(ctx context.Context, tr domain.FeedbackTrigger) (*domain.FeedbackInvitation, error)
	Pending(ctx context.Context, patronID string) ([]domain.FeedbackInvitation, error)
	Invitation(ctx context.Context, id string) (*domain.FeedbackInvitation, error)
	Close(ctx context.Context, patronID, invitationID string) error
	Answer(ctx context.Context, patronID string, anonymous bool, invitationID string, score, nps *int, comment string) (*domain.FeedbackAnswer, error)
	PatronAnswers(ctx context.Context, patronID string) ([]domain.FeedbackAnswer, error)
	Entries(ctx context.Context, publishedOnly bool) ([]domain.YouSaidWeDid, error)
}

// feedbackMaxComment is the comment's longest length, in characters.
const feedbackMaxComment = 2000

func (s *Server) registerFeedback(h func(pattern string, f func(w http.ResponseWriter, r *http.Request, rq *request))) {
	if s.cfg.Feedback == nil {
		return
	}
	h("GET /feedback", s.feedbackForm)
	h("POST /feedback", s.sendFeedback)
	h("POST /feedback/start", s.startFeedback)
	h("POST /feedback/decline", s.declineFeedback)
	h("GET /account/feedback", s.myFeedback)
	h("GET /you-said-we-did", s.youSaidWeDid)
}

// inviteAfter asks for an invitation after the patron's transaction on the
// web; a failure only loses the invitation.
func (s *Server) inviteAfter(rq *request, kind, ref string) {
	if s.cfg.Feedback == nil || rq.patron == nil {
		return
	}
	if _, err := s.cfg.Feedback.Invite(rq.ctx, domain.FeedbackTrigger{PatronID: rq.patron.PatronID, Kind: kind, Ref: ref,
		Channel: domain.ChannelWeb}); err != nil {
		s.lg.Warn("feedback invitation not made", "kind", kind, "err", err)
	}
}

// pendingFeedback is the patron's newest open invitation, for the account.
func (s *Server) pendingFeedback(rq *request) *domain.FeedbackInvitation {
	if s.cfg.Feedback == nil || rq.patron == nil {
		return nil
	}
	ps, err := s.cfg.Feedback.Pending(rq.ctx, rq.patron.PatronID)
	if err != nil {
		s.lg.Warn("feedback invitations not read", "err", err)
		return nil
	}
	if len(ps) == 0 {
		return nil
	}
	return &ps[0]
}

type feedbackForm struct {
	Invitation string
	Kind       string
	Scores     []int
	NPSScores  []int
	Score      int // 0: none chosen
	NPS        int // -1: none chosen
	Comment    string
	Anonymous  bool
	Max        int
}

func newFeedbackForm() *feedbackForm {
	return &feedbackForm{Scores: []int{1, 2, 3, 4, 5}, NPSScores: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, NPS: -1, Max: feedbackMaxComment,
		Kind: domain.FeedbackGeneral}
}

func (s *Server) feedbackForm(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	d := newFeedbackForm()
	if id := r.URL.Query().Get("invitation"); id != "" {
		inv, err := s.cfg.Feedback.Invitation(rq.ctx, id)
		if err != nil || inv.PatronID != rq.patron.PatronID {
			s.fail(w, r, rq, http.StatusNotFound, rq.p.T("feedback.no_invitation"))
			return
		}
		d.Invitation, d.Kind = inv.InvitationID, inv.Kind
	}
	s.render(w, r, rq, http.StatusOK, "feedback", rq.p.T("feedback.title"), d, nil, nil)
}

func (s *Server) sendFeedback(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	f := r.PostForm
	d := newFeedbackForm()
	d.Invitation, d.Comment, d.Anonymous = f.Get("invitation"), strings.TrimSpace(f.Get("comment")), f.Get("anonymous") == "yes"
	if k := f.Get("kind"); k != "" {
		d.Kind = k
	}
	var problems []string
	var score, nps *int
	if v := f.Get("score"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			problems = append(problems, rq.p.T("feedback.bad_score"))
		} else {
			score, d.Score = &n, n
		}
	}
	if v := f.Get("nps"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10 {
			problems = append(problems, rq.p.T("feedback.bad_nps"))
		} else {
			nps, d.NPS = &n, n
		}
	}
	if len([]rune(d.Comment)) > feedbackMaxComment {
		problems = append(problems, rq.p.T("feedback.too_long", feedbackMaxComment))
	}
	if score == nil && nps == nil && d.Comment == "" && len(problems) == 0 {
		problems = append(problems, rq.p.T("feedback.empty"))
	}
	if len(problems) > 0 {
		s.render(w, r, rq, http.StatusUnprocessableEntity, "feedback", rq.p.T("feedback.title"), d, nil, problems)
		return
	}
	if _, err := s.cfg.Feedback.Answer(rq.ctx, rq.patron.PatronID, d.Anonymous, d.Invitation, score, nps, d.Comment); err != nil {
		var e *domain.Error
		if asDomainError(err, &e) {
			// The survey closed (its loan returned, or answered already):
			// the answer is kept without the invitation.
			d.Invitation = ""
			s.render(w, r, rq, http.StatusUnprocessableEntity, "feedback", rq.p.T("feedback.title"), d, nil,
				[]string{rq.p.T("feedback.closed")})
			return
		}
		s.failErr(w, r, rq, err)
		return
	}
	s.render(w, r, rq, http.StatusOK, "feedback_thanks", rq.p.T("feedback.thanks_title"), d, nil, nil)
}

// startFeedback takes up an invitation (it is no longer offered) and
// shows the survey. Taking up is recorded apart from the answer, so an
// anonymous answer is not tied to it.
func (s *Server) startFeedback(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	id := r.PostForm.Get("invitation")
	if err := s.cfg.Feedback.Close(rq.ctx, rq.patron.PatronID, id); err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/feedback?invitation="+url.QueryEscape(id), http.StatusSeeOther)
}

func (s *Server) declineFeedback(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	if err := s.cfg.Feedback.Close(rq.ctx, rq.patron.PatronID, r.PostForm.Get("invitation")); err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	s.showAccount(w, r, rq, []string{rq.p.T("feedback.declined")}, nil)
}

func (s *Server) myFeedback(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	as, err := s.cfg.Feedback.PatronAnswers(rq.ctx, rq.patron.PatronID)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	out := make([]mineEntry, 0, len(as))
	for _, a := range as {
		e := mineEntry{Day: a.Day, Comment: a.Comment, HasNPS: a.NPS != nil}
		if a.Score != nil {
			e.Score = *a.Score
		}
		if a.NPS != nil {
			e.NPS = *a.NPS
		}
		for _, rp := range a.Replies {
			e.Replies = append(e.Replies, rp.Text)
		}
		out = append(out, e)
	}
	s.render(w, r, rq, http.StatusOK, "feedback_mine", rq.p.T("feedback.mine_title"), out, nil, nil)
}

// mineEntry is one of the patron's answers as their page shows it.
type mineEntry struct {
	Day, Comment string
	Score, NPS   int // Score 0: not given
	HasNPS       bool
	Replies      []string
}

type yswdEntry struct{ Said, Did, Date string }

func (s *Server) youSaidWeDid(w http.ResponseWriter, r *http.Request, rq *request) {
	es, err := s.cfg.Feedback.Entries(rq.ctx, true)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	out := make([]yswdEntry, 0, len(es))
	for _, e := range es {
		y := yswdEntry{Said: e.SaidEN, Did: e.DidEN}
		if rq.p.lang == "fi" {
			y.Said, y.Did = e.SaidFI, e.DidFI
		}
		if len(e.UpdatedAt) >= 10 {
			y.Date = rq.p.Date(e.UpdatedAt[:10])
		}
		out = append(out, y)
	}
	s.render(w, r, rq, http.StatusOK, "feedback_yswd", rq.p.T("feedback.yswd_title"), out, nil, nil)
}
