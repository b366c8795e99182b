package httpapi

import (
	"net/http"
	"strconv"

	"stacks/branch/domain"
	"stacks/branch/feedback"
	"stacks/node/apitype"
)

// Feedback (branch/feedback): answers from patrons and kiosks, invitations
// after a transaction, results, answers and replies for staff, and the
// "you said, we did" entries. POST /api/v1/feedback is not audited: an
// audit record would name the caller beside an anonymous answer.

func (a *API) feedbackRoutes() {
	a.handle("POST /api/v1/feedback", a.postFeedback)
	a.handle("GET /api/v1/feedback", a.listFeedback, "library_id", "with_comment", "limit")
	a.handle("GET /api/v1/feedback/results", a.feedbackResults, "library_id", "from", "to")
	a.handle("POST /api/v1/feedback/invitations", a.inviteFeedback)
	a.handle("POST /api/v1/feedback/invitations/{id}/close", a.closeFeedbackInvitation)
	a.handle("POST /api/v1/feedback/{id}/replies", a.replyFeedback)
	a.handle("GET /api/v1/patron/feedback", a.myFeedback)
	a.handle("GET /api/v1/you_said_we_did", a.publicYSWD)
	a.handle("GET /api/v1/feedback/you_said_we_did", a.allYSWD)
	a.handle("POST /api/v1/feedback/you_said_we_did", a.putYSWD)
	a.handle("PUT /api/v1/feedback/you_said_we_did/{id}", a.putYSWD)
	a.handle("DELETE /api/v1/feedback/you_said_we_did/{id}", a.deleteYSWD)
}

// feedbackPatron is the patron a feedback request is about: the caller
// if a patron, else (a kiosk or the desk) the patron with the card given,
// else "" (anonymous).
func (a *API) feedbackPatron(r *http.Request, card string) (string, error) {
	c := callerFrom(r)
	switch {
	case c.kind == kindPatron:
		return c.subject, nil
	case card == "":
		return "", nil
	}
	p, err := a.svc.PatronByCard(r.Context(), card)
	if err != nil {
		return "", err
	}
	return p.PatronID, nil
}

func (a *API) postFeedback(w http.ResponseWriter, r *http.Request) error {
	var req apitype.FeedbackRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	pid, err := a.feedbackPatron(r, req.Cardnumber)
	if err != nil {
		return err
	}
	ch := req.Channel
	if ch == "" {
		ch = domain.ActorFrom(r.Context()).Channel
	}
	ans, err := a.feedback.Answer(r.Context(), feedback.AnswerRequest{PatronID: pid, Anonymous: req.Anonymous,
		InvitationID: req.InvitationID, Channel: ch, Score: req.Score, NPS: req.NPS, Comment: req.Comment})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ans)
}

func (a *API) listFeedback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := 50
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return badRequest("limit is a number from 1 to 500.")
		}
		limit = n
	}
	as, err := a.feedback.Answers(r.Context(), feedback.AnswersFilter{LibraryID: q.Get("library_id"),
		WithComment: q.Get("with_comment") == "true", Limit: limit})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, as)
}

func (a *API) feedbackResults(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for _, p := range []string{"from", "to"} {
		if v := q.Get(p); v != "" {
			if _, err := domain.ParseDate(v); err != nil {
				return badRequest("%s is a date, YYYY-MM-DD.", p)
			}
		}
	}
	res, err := a.feedback.Results(r.Context(), feedback.ResultsFilter{LibraryID: q.Get("library_id"), From: q.Get("from"), To: q.Get("to")})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (a *API) inviteFeedback(w http.ResponseWriter, r *http.Request) error {
	var req apitype.FeedbackInviteRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	pid := req.PatronID
	if req.Cardnumber != "" {
		p, err := a.svc.PatronByCard(r.Context(), req.Cardnumber)
		if err != nil {
			return err
		}
		pid = p.PatronID
	}
	inv, err := a.feedback.Invite(r.Context(), domain.FeedbackTrigger{PatronID: pid, Kind: req.Kind, Ref: req.Ref, Channel: req.Channel})
	if err != nil {
		return err
	}
	if inv == nil {
		return writeJSON(w, http.StatusOK, apitype.FeedbackInvited{})
	}
	return writeJSON(w, http.StatusCreated, apitype.FeedbackInvited{Invited: true, Invitation: inv})
}

func (a *API) closeFeedbackInvitation(w http.ResponseWriter, r *http.Request) error {
	var req apitype.FeedbackClose
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	pid, err := a.feedbackPatron(r, req.Cardnumber)
	if err != nil {
		return err
	}
	if err := a.feedback.Close(r.Context(), pid, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) replyFeedback(w http.ResponseWriter, r *http.Request) error {
	var req apitype.FeedbackReplyRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	rep, err := a.feedback.Reply(r.Context(), r.PathValue("id"), req.Text)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, rep)
}

func (a *API) myFeedback(w http.ResponseWriter, r *http.Request) error {
	pend, err := a.feedback.Pending(r.Context(), me(r))
	if err != nil {
		return err
	}
	as, err := a.feedback.PatronAnswers(r.Context(), me(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.PatronFeedback{Pending: pend, Answers: as})
}

func (a *API) publicYSWD(w http.ResponseWriter, r *http.Request) error {
	es, err := a.feedback.Entries(r.Context(), feedback.YSWDFilter{PublishedOnly: true})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, es)
}

func (a *API) allYSWD(w http.ResponseWriter, r *http.Request) error {
	es, err := a.feedback.Entries(r.Context(), feedback.YSWDFilter{})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, es)
}

func (a *API) putYSWD(w http.ResponseWriter, r *http.Request) error {
	var e domain.YouSaidWeDid
	if err := decodeBody(r, &e, false); err != nil {
		return err
	}
	e.EntryID = r.PathValue("id")
	status := http.StatusOK
	if e.EntryID == "" {
		status = http.StatusCreated
	}
	out, err := a.feedback.PutEntry(r.Context(), e)
	if err != nil {
		return err
	}
	return writeJSON(w, status, out)
}

func (a *API) deleteYSWD(w http.ResponseWriter, r *http.Request) error {
	if err := a.feedback.DeleteEntry(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
