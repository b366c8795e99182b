package httpapi

import (
	"net/http"

	"stacks/branch/domain"
	"stacks/branch/patronprefs"
	"stacks/node/apitype"
)

// The patron API's reading history and messaging preferences.

func (a *API) patronPrefsRoutes() {
	a.handle("GET /api/v1/patron/reading_history", a.myReadingHistory, "format")
	a.handle("PUT /api/v1/patron/reading_history", a.setMyReadingHistory)
	a.handle("DELETE /api/v1/patron/reading_history", a.clearMyReadingHistory)
	a.handle("GET /api/v1/patron/messaging_preferences", a.myMessaging)
	a.handle("PUT /api/v1/patron/messaging_preferences", a.setMyMessaging)
}

// myReadingHistory is the history as JSON, or as CSV with format=csv.
func (a *API) myReadingHistory(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		return badRequest("format is json or csv.")
	}
	h, err := a.prefs.ReadingHistory(r.Context(), me(r))
	if err != nil {
		return err
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="reading-history.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		return patronprefs.WriteCSV(w, h.Entries)
	}
	return writeJSON(w, http.StatusOK, h)
}

func (a *API) setMyReadingHistory(w http.ResponseWriter, r *http.Request) error {
	var req apitype.ReadingHistorySetting
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.Enabled == nil {
		return badRequest("Send enabled: true or false.")
	}
	if err := a.prefs.SetReadingHistory(r.Context(), me(r), *req.Enabled); err != nil {
		return err
	}
	h, err := a.prefs.ReadingHistory(r.Context(), me(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}

func (a *API) clearMyReadingHistory(w http.ResponseWriter, r *http.Request) error {
	if err := a.prefs.ClearReadingHistory(r.Context(), me(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) myMessaging(w http.ResponseWriter, r *http.Request) error {
	p, err := a.prefs.Messaging(r.Context(), me(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (a *API) setMyMessaging(w http.ResponseWriter, r *http.Request) error {
	var req domain.MessagingPrefs
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	p, err := a.prefs.SetMessaging(r.Context(), me(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}
