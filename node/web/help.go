package web

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"stacks/branch/domain"
)

// Help on the web: "Ask for help" on every page leads to a form; the
// request goes to the patron's home branch's help queue (branch/help), and
// its page shows the conversation: staff answers appear there, by a
// reload (the page's refresh link) or, with JavaScript, as they come
// (static/help.js polls the page). The patron may reply and close it.

// Help is the help requests (branch/help's Service).
type Help interface {
	AskFor(ctx context.Context, channel, patronID, message string) (string, error)
	PatronRequests(ctx context.Context, patronID string) ([]domain.HelpRequest, error)
	Request(ctx context.Context, id string) (*domain.HelpRequest, string, error)
	Reply(ctx context.Context, id, text string) error
	Close(ctx context.Context, id string) error
}

// helpMaxText is the longest message, as branch/help takes.
const helpMaxText = 2000

type helpData struct {
	Requests []helpItem
	Request  *helpItem
	Message  string // what the patron typed, kept on a refusal
}

type helpItem struct {
	domain.HelpRequest
	Asked    string // local time
	Lines    []helpLine
	IsClosed bool
}

type helpLine struct {
	FromStaff bool
	Text      string
	At        string
}

func (s *Server) registerHelp(h func(pattern string, f func(w http.ResponseWriter, r *http.Request, rq *request))) {
	if s.cfg.Help == nil {
		return
	}
	// help.js reads the request's own page again to show new answers.
	if !strings.Contains(s.csp, "connect-src") {
		s.csp = strings.Replace(s.csp, "img-src", "connect-src 'self'; img-src", 1)
	}
	h("GET /help", s.helpForm)
	h("POST /help", s.askHelp)
	h("GET /help/{id}", s.helpRequest)
	h("POST /help/{id}/reply", s.replyHelp)
	h("POST /help/{id}/close", s.closeHelp)
}

func (s *Server) helpLocal(stamp string) string {
	t, err := time.Parse(domain.TimeLayout, stamp)
	if err != nil {
		return ""
	}
	return t.In(s.lib.Now().Location()).Format("2.1.2006 15:04")
}

func (s *Server) helpItem(r domain.HelpRequest) helpItem {
	it := helpItem{HelpRequest: r, Asked: s.helpLocal(r.CreatedAt), IsClosed: r.Status == domain.HelpClosed}
	for _, m := range r.Messages {
		it.Lines = append(it.Lines, helpLine{FromStaff: m.From == domain.HelpFromStaff, Text: m.Text, At: s.helpLocal(m.At)})
	}
	return it
}

// helpText checks a message in the patron's language.
func helpText(rq *request, text string) (string, string) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", rq.p.T("help.empty")
	case utf8.RuneCountInString(text) > helpMaxText:
		return "", rq.p.T("help.too_long", helpMaxText)
	}
	return text, ""
}

func (s *Server) helpForm(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	s.renderHelpForm(w, r, rq, http.StatusOK, "", "")
}

func (s *Server) renderHelpForm(w http.ResponseWriter, r *http.Request, rq *request, status int, message, problem string) {
	rs, err := s.cfg.Help.PatronRequests(rq.ctx, rq.patron.PatronID)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	d := &helpData{Message: message}
	for i := len(rs) - 1; i >= 0; i-- { // newest first
		d.Requests = append(d.Requests, s.helpItem(rs[i]))
	}
	var problems []string
	if problem != "" {
		problems = []string{problem}
	}
	s.render(w, r, rq, status, "help", rq.p.T("help.title"), d, nil, problems)
}

func (s *Server) askHelp(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	msg, problem := helpText(rq, r.PostForm.Get("message"))
	if problem != "" {
		s.renderHelpForm(w, r, rq, http.StatusUnprocessableEntity, r.PostForm.Get("message"), problem)
		return
	}
	id, err := s.cfg.Help.AskFor(rq.ctx, string(domain.ChannelWeb), rq.patron.PatronID, msg)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/help/"+id+"?sent=1", http.StatusSeeOther)
}

// ownRequest is the patron's request {id}, or nil after answering 404.
func (s *Server) ownRequest(w http.ResponseWriter, r *http.Request, rq *request) *domain.HelpRequest {
	hr, _, err := s.cfg.Help.Request(rq.ctx, r.PathValue("id"))
	if err == nil && hr.PatronID != rq.patron.PatronID {
		err = domain.Fail(domain.CodeNotFound, "no such request")
	}
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeNotFound {
			s.fail(w, r, rq, http.StatusNotFound, rq.p.T("help.not_found"))
		} else {
			s.failErr(w, r, rq, err)
		}
		return nil
	}
	return hr
}

func (s *Server) helpRequest(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	s.showHelp(w, r, rq, http.StatusOK, "")
}

func (s *Server) showHelp(w http.ResponseWriter, r *http.Request, rq *request, status int, problem string) {
	hr := s.ownRequest(w, r, rq)
	if hr == nil {
		return
	}
	it := s.helpItem(*hr)
	var notices, problems []string
	switch r.URL.Query().Get("sent") {
	case "1":
		notices = []string{rq.p.T("help.sent")}
	case "reply":
		notices = []string{rq.p.T("help.replied")}
	}
	if problem != "" {
		problems = []string{problem}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, rq, status, "help_request", rq.p.T("help.request_title"), &helpData{Request: &it}, notices, problems)
}

func (s *Server) replyHelp(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	hr := s.ownRequest(w, r, rq)
	if hr == nil {
		return
	}
	text, problem := helpText(rq, r.PostForm.Get("message"))
	if problem == "" && hr.Status == domain.HelpClosed {
		problem = rq.p.T("help.closed_already")
	}
	if problem != "" {
		s.showHelp(w, r, rq, http.StatusUnprocessableEntity, problem)
		return
	}
	if err := s.cfg.Help.Reply(rq.ctx, hr.RequestID, text); err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/help/"+hr.RequestID+"?sent=reply", http.StatusSeeOther)
}

func (s *Server) closeHelp(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	hr := s.ownRequest(w, r, rq)
	if hr == nil {
		return
	}
	if err := s.cfg.Help.Close(rq.ctx, hr.RequestID); err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/help/"+hr.RequestID, http.StatusSeeOther)
}
