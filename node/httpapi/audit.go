package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"stacks/branch/audit"
	"stacks/branch/domain"
)

// audit records one use of an audited route by a logged-in caller: its
// success, or its refusal for want of a permission (someone trying to read
// what they may not). Anonymous requests never reach an audited handler
// and are not recorded, so they cannot fill the log. One audit op per
// request; a failure to record is logged, the answer already went out.
func (a *API) audit(r *http.Request, pattern string, note *auditNote, status int, err error) {
	var fb *forbidden
	if callerFrom(r).kind == "" || (err != nil && !errors.As(err, &fb)) {
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	rec := audit.Record{Action: pattern, Resource: r.URL.RequestURI(), PatronID: note.patronID,
		ItemID: note.itemID, Outcome: strconv.Itoa(status)}
	if rec.PatronID == "" {
		switch {
		case strings.Contains(pattern, "/patrons/{id}"):
			rec.PatronID = r.PathValue("id")
		case r.URL.Query().Get("patron_id") != "":
			rec.PatronID = r.URL.Query().Get("patron_id")
		}
	}
	if rec.ItemID == "" && strings.Contains(pattern, "/items/{id}") {
		rec.ItemID = r.PathValue("id")
	}
	// The client may have gone; the record is written all the same.
	ctx := context.WithoutCancel(r.Context())
	if err := a.auditLog.Record(ctx, rec); err != nil {
		a.lg.ErrorContext(ctx, "audit record not written", logMethod, r.Method, logPath, r.URL.Path, logErr, err)
	}
}

// listAudit is GET /audit?actor=&patron_id=&from=&to=: the audit log, newest
// first; from and to are dates (YYYY-MM-DD, library time) or RFC 3339
// instants.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := audit.Filter{Actor: q.Get("actor"), PatronID: q.Get("patron_id"), Limit: p.size, Offset: p.offset()}
	if f.From, err = a.instantParam(q.Get("from"), "from"); err != nil {
		return err
	}
	if f.To, err = a.instantParam(q.Get("to"), "to"); err != nil {
		return err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return badRequest("from must be before to.")
	}
	es, err := a.auditLog.List(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, es)
}

// instantParam reads a date (its start, in library time) or an RFC 3339
// instant; "" is the zero time.
func (a *API) instantParam(s, name string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		return time.Time{}, badRequest("%s must be a date (YYYY-MM-DD) or an RFC 3339 time.", name)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, a.loc), nil
}
