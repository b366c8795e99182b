package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"stacks/branch/domain"
)

// Privacy is what the web needs to show a patron what is kept about them
// (branch/privacy): how long their loan history is kept, and all of their
// data as a file.
type Privacy interface {
	// RetentionOf is the patron's loan history retention: mode at_return,
	// after_days (with days) or keep.
	RetentionOf(ctx context.Context, patronID string) (mode string, days int, err error)
	// Export is everything held about the patron (GDPR 15, 20).
	Export(ctx context.Context, patronID string) (map[string]any, error)
}

// registerPrivacy adds the "your data" page, when the web has Privacy
// (and Prefs, for the reading history choice).
func (s *Server) registerPrivacy(h func(pattern string, f func(w http.ResponseWriter, r *http.Request, rq *request))) {
	if s.cfg.Privacy == nil || s.cfg.Prefs == nil {
		return
	}
	h("GET /account/privacy", s.privacyPage)
	h("POST /account/privacy/history", s.privacyHistory)
	h("GET /account/privacy/export.json", s.privacyExport)
}

type privacyData struct {
	Mode    string
	Days    int
	History *domain.ReadingHistory
	Loans   int // loan records kept about them now, current and past
}

func (s *Server) showPrivacy(w http.ResponseWriter, r *http.Request, rq *request, notices []string) {
	pid := rq.patron.PatronID
	mode, days, err := s.cfg.Privacy.RetentionOf(rq.ctx, pid)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	h, err := s.cfg.Prefs.ReadingHistory(rq.ctx, pid)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	ex, err := s.cfg.Privacy.Export(rq.ctx, pid)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	d := privacyData{Mode: mode, Days: days, History: h}
	if loans, ok := ex["loans"].([]map[string]any); ok {
		d.Loans = len(loans)
	}
	s.render(w, r, rq, http.StatusOK, "privacy", rq.p.T("privacy.title"), d, notices, nil)
}

func (s *Server) privacyPage(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	s.showPrivacy(w, r, rq, nil)
}

func (s *Server) privacyHistory(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	on := r.PostForm.Get("keep") == "on"
	if err := s.cfg.Prefs.SetReadingHistory(rq.ctx, rq.patron.PatronID, on); err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	msg := "privacy.history_off_done"
	if on {
		msg = "privacy.history_on_done"
	}
	s.showPrivacy(w, r, rq, []string{rq.p.T(msg)})
}

func (s *Server) privacyExport(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	ex, err := s.cfg.Privacy.Export(rq.ctx, rq.patron.PatronID)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="my-library-data-%s.json"`, rq.patron.PatronID))
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ex); err != nil {
		s.lg.Error("privacy export", "err", err)
	}
}
