package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"stacks/branch/domain"
)

// Prefs is what the web needs of the patron's own choices: reading
// history and messaging preferences (branch/patronprefs).
type Prefs interface {
	ReadingHistory(ctx context.Context, patronID string) (*domain.ReadingHistory, error)
	SetReadingHistory(ctx context.Context, patronID string, on bool) error
	ClearReadingHistory(ctx context.Context, patronID string) error
	Messaging(ctx context.Context, patronID string) (domain.MessagingPrefs, error)
	SetMessaging(ctx context.Context, patronID string, p domain.MessagingPrefs) (domain.MessagingPrefs, error)
}

// registerPrefs adds the preferences pages, when the web has Prefs.
func (s *Server) registerPrefs(h func(pattern string, f func(w http.ResponseWriter, r *http.Request, rq *request))) {
	if s.cfg.Prefs == nil {
		return
	}
	h("GET /account/preferences", s.preferences)
	h("POST /account/preferences/history", s.setHistory)
	h("POST /account/preferences/history/delete", s.deleteHistory)
	h("GET /account/preferences/history.csv", s.exportHistoryCSV)
	h("GET /account/preferences/history.json", s.exportHistoryJSON)
	h("POST /account/preferences/messaging", s.setMessaging)
}

type prefsData struct {
	History   *domain.ReadingHistory
	Messaging domain.MessagingPrefs
	Notices   []noticeChoice
	CanSMS    bool
	// Suggestions: the opt-in to own suggestions, nil when not served.
	Suggestions *suggestChoice
}

type noticeChoice struct {
	Name   string
	Chosen bool
}

func (s *Server) showPrefs(w http.ResponseWriter, r *http.Request, rq *request, status int, m *domain.MessagingPrefs, notices, problems []string) {
	pid := rq.patron.PatronID
	h, err := s.cfg.Prefs.ReadingHistory(rq.ctx, pid)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	if m == nil {
		cur, err := s.cfg.Prefs.Messaging(rq.ctx, pid)
		if err != nil {
			s.failErr(w, r, rq, err)
			return
		}
		m = &cur
	}
	d := prefsData{History: h, Messaging: *m, CanSMS: rq.patron.Phone != ""}
	d.Suggestions = s.suggestionsChoice(rq)
	for _, n := range domain.Notices {
		d.Notices = append(d.Notices, noticeChoice{Name: n, Chosen: slices.Contains(m.Notices, n)})
	}
	s.render(w, r, rq, status, "prefs", rq.p.T("prefs.title"), d, notices, problems)
}

func (s *Server) preferences(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	s.showPrefs(w, r, rq, http.StatusOK, nil, nil, nil)
}

func (s *Server) setHistory(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	on := r.PostForm.Get("enabled") == "on"
	if err := s.cfg.Prefs.SetReadingHistory(rq.ctx, rq.patron.PatronID, on); err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	msg := "prefs.history_off_done"
	if on {
		msg = "prefs.history_on_done"
	}
	s.showPrefs(w, r, rq, http.StatusOK, nil, []string{rq.p.T(msg)}, nil)
}

func (s *Server) deleteHistory(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	if err := s.cfg.Prefs.ClearReadingHistory(rq.ctx, rq.patron.PatronID); err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	s.showPrefs(w, r, rq, http.StatusOK, nil, []string{rq.p.T("prefs.history_deleted")}, nil)
}

func (s *Server) history(w http.ResponseWriter, r *http.Request, rq *request) *domain.ReadingHistory {
	if s.needLogin(w, r, rq) {
		return nil
	}
	h, err := s.cfg.Prefs.ReadingHistory(rq.ctx, rq.patron.PatronID)
	if err != nil {
		s.failErr(w, r, rq, err)
		return nil
	}
	return h
}

func (s *Server) exportHistoryCSV(w http.ResponseWriter, r *http.Request, rq *request) {
	h := s.history(w, r, rq)
	if h == nil {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="reading-history.csv"`)
	if err := domain.WriteReadingCSV(w, h.Entries); err != nil {
		s.lg.Error("reading history export", "err", err)
	}
}

func (s *Server) exportHistoryJSON(w http.ResponseWriter, r *http.Request, rq *request) {
	h := s.history(w, r, rq)
	if h == nil {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="reading-history.json"`)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(h); err != nil {
		s.lg.Error("reading history export", "err", err)
	}
}

func (s *Server) setMessaging(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	f := r.PostForm
	m := domain.MessagingPrefs{Notices: []string{}, Channel: f.Get("channel"), Digest: f.Get("digest") == "on"}
	for _, n := range f["notice"] {
		m.Notices = append(m.Notices, n)
	}
	days, err := strconv.Atoi(f.Get("days"))
	if err != nil {
		days = -1
	}
	m.DaysInAdvance = days
	if _, err := s.cfg.Prefs.SetMessaging(rq.ctx, rq.patron.PatronID, m); err != nil {
		var e *domain.Error
		if !asDomainError(err, &e) {
			s.failErr(w, r, rq, err)
			return
		}
		s.showPrefs(w, r, rq, http.StatusUnprocessableEntity, &m, nil, []string{rq.p.T("prefs.messaging_invalid")})
		return
	}
	s.showPrefs(w, r, rq, http.StatusOK, nil, []string{rq.p.T("prefs.messaging_saved")}, nil)
}
