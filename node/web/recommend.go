package web

import (
	"context"
	"net/http"

	"stacks/branch/domain"
)

// Recommender is what the web needs of recommendations (branch/recommend)
// and of the patron's opt-in to their own (branch/patronprefs).
type Recommender interface {
	AlsoBorrowed(ctx context.Context, biblioID string, n int) (*domain.Recommendations, error)
	ForPatron(ctx context.Context, patronID string, n int) (*domain.Recommendations, error)
	Suggestions(ctx context.Context, patronID string) (bool, error)
	SetSuggestions(ctx context.Context, patronID string, on bool) error
}

// recommendShown is how many titles a page lists.
const recommendShown = 6

// registerRecommend adds the opt-in form's action, when the web has a
// Recommender.
func (s *Server) registerRecommend(h func(pattern string, f func(w http.ResponseWriter, r *http.Request, rq *request))) {
	if s.cfg.Recommend == nil {
		return
	}
	h("POST /account/preferences/suggestions", s.setSuggestions)
}

// alsoBorrowed is the title page's "patrons who borrowed this also
// borrowed", nil when there is none (or no Recommender): a failure here
// is logged, never a failed title page.
func (s *Server) alsoBorrowed(rq *request, biblioID string) *domain.Recommendations {
	if s.cfg.Recommend == nil {
		return nil
	}
	r, err := s.cfg.Recommend.AlsoBorrowed(rq.ctx, biblioID, recommendShown)
	if err != nil {
		s.lg.Warn("recommendations", "biblio", biblioID, "err", err)
		return nil
	}
	if len(r.Titles) == 0 {
		return nil
	}
	return r
}

// mySuggestions is the account page's suggestions for the logged-in
// patron, nil unless they opted in.
func (s *Server) mySuggestions(rq *request) *domain.Recommendations {
	if s.cfg.Recommend == nil || rq.patron == nil {
		return nil
	}
	on, err := s.cfg.Recommend.Suggestions(rq.ctx, rq.patron.PatronID)
	if err != nil || !on {
		return nil
	}
	r, err := s.cfg.Recommend.ForPatron(rq.ctx, rq.patron.PatronID, recommendShown)
	if err != nil {
		s.lg.Warn("suggestions", "err", err)
		return nil
	}
	return r
}

// suggestionsChoice is the preferences page's opt-in: nil when the web
// has no Recommender.
func (s *Server) suggestionsChoice(rq *request) *suggestChoice {
	if s.cfg.Recommend == nil {
		return nil
	}
	on, err := s.cfg.Recommend.Suggestions(rq.ctx, rq.patron.PatronID)
	if err != nil {
		s.lg.Warn("suggestions", "err", err)
		return nil
	}
	return &suggestChoice{On: on}
}

// suggestChoice is the patron's opt-in to their own suggestions.
type suggestChoice struct{ On bool }

func (s *Server) setSuggestions(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	on := r.PostForm.Get("enabled") == "on"
	if err := s.cfg.Recommend.SetSuggestions(rq.ctx, rq.patron.PatronID, on); err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	msg := "recommend.off_done"
	if on {
		msg = "recommend.on_done"
	}
	if s.cfg.Prefs == nil {
		s.showAccount(w, r, rq, []string{rq.p.T(msg)}, nil)
		return
	}
	s.showPrefs(w, r, rq, http.StatusOK, nil, []string{rq.p.T(msg)}, nil)
}
