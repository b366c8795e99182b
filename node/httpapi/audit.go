package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"stacks/branch"
	"stacks/branch/audit"
	"stacks/branch/domain"
	"stacks/replicate"
)

// audit records one use of an audited route by a logged-in caller: its
// success, or its refusal for want of a permission (someone trying to read
// what they may not). Anonymous requests never reach an audited handler
// and are not recorded, so they cannot fill the log. A request that commits
// a change carries its record in the change's own transaction (see
// rideAudit); any other writes one audit op here, after the answer went
// out; a failure to record is logged.
func (a *API) audit(r *http.Request, pattern string, note *auditNote, status int, err error) {
	if status == 0 {
		status = http.StatusOK
	}
	// Closed first: the records written below must not ride themselves.
	if note.ride != nil && note.ride.Close() && note.rodeStatus != 0 {
		// The record committed with the change. It said the route's usual
		// answer and the subjects known then: if this answer or the
		// subjects the handler named turned out otherwise, that is
		// recorded too.
		rec := a.auditRecord(r, pattern, note, status)
		if status >= 200 && status < 300 {
			a.learnStatus(pattern, status)
		}
		if rec.Outcome == note.rode.Outcome && (note.patronID == "" || note.patronID == note.rode.PatronID) &&
			(note.itemID == "" || note.itemID == note.rode.ItemID) {
			return
		}
		a.writeAudit(r, rec)
		return
	}
	var fb *forbidden
	if callerFrom(r).kind == "" || (err != nil && !errors.As(err, &fb)) {
		return
	}
	if note.committed && status >= 200 && status < 300 {
		// The first committed change of a route: its answer is now known,
		// and the next request's record rides with its change.
		a.learnStatus(pattern, status)
	}
	a.writeAudit(r, a.auditRecord(r, pattern, note, status))
}

// auditRecord is the record of request r as it ended (with status).
func (a *API) auditRecord(r *http.Request, pattern string, note *auditNote, status int) audit.Record {
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
	return rec
}

func (a *API) writeAudit(r *http.Request, rec audit.Record) {
	// The client may have gone; the record is written all the same.
	ctx := context.WithoutCancel(r.Context())
	if err := a.auditLog.Record(ctx, rec); err != nil {
		a.lg.ErrorContext(ctx, "audit record not written", logMethod, r.Method, logPath, r.URL.Path, logErr, err)
	}
}

// auditInTxn is an audit log that can record inside another command's
// transaction (audit.Service can).
type auditInTxn interface {
	RecordIn(ctx context.Context, t *branch.Txn, recs ...audit.Record) error
}

// rideAudit attaches to an audited request by a logged-in caller a rider
// (branch.Rider) that writes its audit record inside the first transaction
// of the request that commits a change: one commit per audited write, not
// two. Its outcome is the status this route answered its last committed
// change with (learned from the first such request, which records as
// before); its patron and item are those the handler noted so far, else
// the path's or query's, else the first the change's own ops name.
func (a *API) rideAudit(r *http.Request, pattern string, note *auditNote) *http.Request {
	rl, ok := a.auditLog.(auditInTxn)
	if !ok || callerFrom(r).kind == "" {
		return r
	}
	ctx, ride := branch.WithRider(r.Context(), func(ctx context.Context, t *branch.Txn, ops []replicate.Op) error {
		note.committed = true
		st, ok := a.auditStatus.Load(pattern)
		if !ok {
			return nil // not learned yet: recorded after the answer
		}
		rec := a.auditRecord(r, pattern, note, st.(int))
		patronID, itemID := subjectOfOps(ops)
		if rec.PatronID == "" {
			rec.PatronID = patronID
		}
		if rec.ItemID == "" {
			rec.ItemID = itemID
		}
		if err := rl.RecordIn(ctx, t, rec); err != nil {
			return err
		}
		note.rode, note.rodeStatus = rec, st.(int)
		return nil
	})
	note.ride = ride
	return r.WithContext(ctx)
}

// learnStatus remembers the status a route answers a committed change with.
func (a *API) learnStatus(pattern string, status int) { a.auditStatus.Store(pattern, status) }

// subjectOfOps is the first patron and the first item that ops name.
func subjectOfOps(ops []replicate.Op) (patronID, itemID string) {
	for _, op := range ops {
		if patronID != "" && itemID != "" {
			break
		}
		var p struct {
			PatronID string `json:"patron_id"`
			ItemID   string `json:"item_id"`
		}
		if json.Unmarshal(op.Payload, &p) != nil {
			continue
		}
		if patronID == "" {
			patronID = p.PatronID
		}
		if itemID == "" {
			itemID = p.ItemID
		}
	}
	return patronID, itemID
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
