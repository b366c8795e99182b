package httpapi

import (
	"fmt"
	"net/http"

	"stacks/branch/privacy"
	"stacks/node/apitype"
)

// Privacy: a patron's data exported (GDPR articles 15 and 20) by the
// patron or by staff, a patron erased (article 17) by a supervisor, the
// retention of loan history per patron category, and what a patron is
// told of what is kept about them.

func (a *API) privacyRoutes() {
	a.handle("GET /api/v1/patrons/{id}/export", a.exportPatron, "download")
	a.handle("POST /api/v1/patrons/{id}/erasure", a.erasePatron)
	a.handle("GET /api/v1/privacy/retention", a.retentions)
	a.handle("PUT /api/v1/privacy/retention/{category}", a.setRetention)
	a.handle("GET /api/v1/patron/privacy", a.myPrivacy)
	a.handle("GET /api/v1/patron/export", a.myExport, "download")
}

func (a *API) exportPatron(w http.ResponseWriter, r *http.Request) error {
	return a.writeExport(w, r, r.PathValue("id"))
}

func (a *API) myExport(w http.ResponseWriter, r *http.Request) error {
	return a.writeExport(w, r, me(r))
}

func (a *API) writeExport(w http.ResponseWriter, r *http.Request, patronID string) error {
	ex, err := a.privacy.Export(r.Context(), patronID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Query().Get("download") == "1" {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="stacks-export-%s.json"`, patronID))
	}
	return writeJSON(w, http.StatusOK, ex)
}

func (a *API) erasePatron(w http.ResponseWriter, r *http.Request) error {
	var req apitype.ErasureRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := a.privacy.Erase(r.Context(), id, req.Reason); err != nil {
		return err
	}
	at, _, err := a.privacy.Erased(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.Erasure{PatronID: id, ErasedAt: at})
}

func (a *API) retentions(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.privacy.Retentions(r.Context())
	if err != nil {
		return err
	}
	out := make([]apitype.Retention, len(rs))
	for i, x := range rs {
		out[i] = apitype.Retention(x)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) setRetention(w http.ResponseWriter, r *http.Request) error {
	var req apitype.Retention
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	req.Category = r.PathValue("category")
	if err := a.privacy.SetRetention(r.Context(), privacy.Retention(req)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, req)
}

func (a *API) myPrivacy(w http.ResponseWriter, r *http.Request) error {
	s, err := a.privacySummary(r, me(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

// privacySummary is what is kept about the patron and their choice.
func (a *API) privacySummary(r *http.Request, patronID string) (*apitype.PrivacySummary, error) {
	ret, err := a.privacy.RetentionFor(r.Context(), patronID)
	if err != nil {
		return nil, err
	}
	h, err := a.prefs.ReadingHistory(r.Context(), patronID)
	if err != nil {
		return nil, err
	}
	return &apitype.PrivacySummary{Retention: apitype.Retention(ret), ReadingHistory: h.Enabled, Since: h.Since}, nil
}
