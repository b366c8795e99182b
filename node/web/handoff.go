package web

import (
	"context"
	"net/http"
	"time"

	"github.com/boombuler/barcode/qr"

	"stacks/branch/domain"
)

// Handoff codes on the web: the patron makes a short-lived, single-use
// code for something to finish at the desk or a kiosk (pick up their
// ready holds, pay at the desk, log in at the kiosk without the PIN),
// shown as a QR code and as 8 characters to type.

// Handoffs issues handoff codes (branch/handoff, adapted by node).
type Handoffs interface {
	IssueHandoff(ctx context.Context, patronID, intent string) (code, qr, expiresAt string, err error)
}

// handoffIntents are the intents a patron may choose, in the order shown.
var handoffIntents = []string{"pickup_holds", "pay_at_desk", "kiosk_login"}

type handoffData struct {
	Intents []string
	Intent  string
	Code    string // as typed: XXXX-XXXX
	QR      any
	Expires string // local time, HH:MM
}

func (s *Server) registerHandoff(h func(pattern string, f func(w http.ResponseWriter, r *http.Request, rq *request))) {
	if s.cfg.Handoffs == nil {
		return
	}
	h("GET /account/handoff", s.handoffForm)
	h("POST /account/handoff", s.makeHandoff)
}

func (s *Server) handoffForm(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	s.render(w, r, rq, http.StatusOK, "handoff", rq.p.T("handoff.title"), &handoffData{Intents: handoffIntents}, nil, nil)
}

func (s *Server) makeHandoff(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	intent := r.PostForm.Get("intent")
	known := false
	for _, i := range handoffIntents {
		known = known || i == intent
	}
	if !known {
		s.render(w, r, rq, http.StatusUnprocessableEntity, "handoff", rq.p.T("handoff.title"), &handoffData{Intents: handoffIntents},
			nil, []string{rq.p.T("handoff.choose")})
		return
	}
	code, payload, exp, err := s.cfg.Handoffs.IssueHandoff(rq.ctx, rq.patron.PatronID, intent)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	q, err := qr.Encode(payload, qr.M, qr.Auto)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	typed := code
	if len(code) == 8 {
		typed = code[:4] + "-" + code[4:]
	}
	d := &handoffData{Intents: handoffIntents, Intent: intent, Code: typed,
		QR: barcodeSVG(q, 4, 1, 0, rq.p.T("handoff.qr_label", typed))}
	if t, err := time.Parse(domain.TimeLayout, exp); err == nil {
		d.Expires = t.In(s.lib.Now().Location()).Format("15:04")
	}
	s.render(w, r, rq, http.StatusOK, "handoff", rq.p.T("handoff.title"), d, []string{rq.p.T("handoff.made")}, nil)
}
