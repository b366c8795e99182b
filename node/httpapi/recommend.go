package httpapi

import (
	"net/http"
	"strconv"

	"stacks/branch/patronprefs"
	"stacks/branch/recommend"
	"stacks/node/apitype"
)

// Recommendations (branch/recommend): "patrons who borrowed this also
// borrowed" for any title, public; a patron's own suggestions only when
// they turned them on (PUT /api/v1/patron/suggestions).

func (a *API) recommendRoutes() {
	rec := recommend.New(a.svc)
	prefs := patronprefs.New(a.svc)
	a.handle("GET /api/v1/biblios/{id}/recommendations", func(w http.ResponseWriter, r *http.Request) error {
		n, err := limitOf(r)
		if err != nil {
			return err
		}
		out, err := rec.AlsoBorrowed(r.Context(), r.PathValue("id"), n)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}, "limit")
	a.handle("GET /api/v1/patron/recommendations", func(w http.ResponseWriter, r *http.Request) error {
		n, err := limitOf(r)
		if err != nil {
			return err
		}
		out, err := rec.ForPatron(r.Context(), me(r), n)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		return writeJSON(w, http.StatusOK, out)
	}, "limit")
	a.handle("GET /api/v1/patron/suggestions", func(w http.ResponseWriter, r *http.Request) error {
		on, err := prefs.Suggestions(r.Context(), me(r))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, apitype.SuggestionsSetting{Enabled: &on})
	})
	a.handle("PUT /api/v1/patron/suggestions", func(w http.ResponseWriter, r *http.Request) error {
		var s apitype.SuggestionsSetting
		if err := decodeBody(r, &s, false); err != nil {
			return err
		}
		if s.Enabled == nil {
			return badRequest("Send enabled: true or false.")
		}
		if err := prefs.SetSuggestions(r.Context(), me(r), *s.Enabled); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, s)
	})
}

// limitOf is the limit parameter: how many titles, 1 to recommend.MaxLimit
// (recommend.DefaultLimit when absent).
func limitOf(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return recommend.DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > recommend.MaxLimit {
		return 0, badRequest("limit must be a whole number from 1 to %d.", recommend.MaxLimit)
	}
	return n, nil
}
