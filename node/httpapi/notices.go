package httpapi

import (
	"net/http"
	"strconv"

	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/node/apitype"
)

// The notice engine's routes: a patron's notices and flagged contacts,
// resend, the print list, and the overdue rules.

func (a *API) noticesRoutes() {
	a.handle("GET /api/v1/patrons/{id}/notices", a.patronNotices)
	a.handle("DELETE /api/v1/patrons/{id}/contact_flags/{channel}", a.clearContactFlag)
	a.handle("POST /api/v1/notices/{key}/resend", a.resendNotice)
	a.handle("GET /api/v1/notices/print", a.printNotices, "library_id", "since")
	a.handle("GET /api/v1/notice_rules/overdue", a.overdueRules)
	a.handle("PUT /api/v1/notice_rules/overdue", a.putOverdueRule)
	a.handle("DELETE /api/v1/notice_rules/overdue/{library_id}/{category_id}/{level}", a.deleteOverdueRule)
}

func (a *API) patronNotices(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	ns, err := a.notices.PatronNotices(r.Context(), id)
	if err != nil {
		return err
	}
	fs, err := a.notices.ContactFlags(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.PatronNotices{Notices: ns, ContactFlags: fs})
}

func (a *API) clearContactFlag(w http.ResponseWriter, r *http.Request) error {
	ch := r.PathValue("channel")
	if ch != notices.ChannelEmail && ch != notices.ChannelSMS {
		return badRequest("A contact flag is of email or sms.")
	}
	if _, err := a.svc.Patron(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	if err := a.notices.ClearContactFlag(r.Context(), r.PathValue("id"), ch); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) resendNotice(w http.ResponseWriter, r *http.Request) error {
	n, err := a.notices.Resend(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, n)
}

func (a *API) printNotices(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	items, err := a.notices.PrintList(r.Context(), q.Get("library_id"), q.Get("since"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, items)
}

func (a *API) overdueRules(w http.ResponseWriter, r *http.Request) error {
	rs, err := notices.OverdueRules(r.Context(), a.svc.Read())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rs)
}

func (a *API) putOverdueRule(w http.ResponseWriter, r *http.Request) error {
	var rule domain.OverdueRule
	if err := decodeBody(r, &rule, false); err != nil {
		return err
	}
	out, err := notices.SetOverdueRule(r.Context(), a.svc, rule)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) deleteOverdueRule(w http.ResponseWriter, r *http.Request) error {
	level, err := strconv.Atoi(r.PathValue("level"))
	if err != nil {
		return badRequest("The level is 1, 2 or 3.")
	}
	if err := notices.DeleteOverdueRule(r.Context(), a.svc, r.PathValue("library_id"), r.PathValue("category_id"), level); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
