package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"stacks/branch"
)

// problem is an RFC 9457 problem detail with a stable machine code.
type problem struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Status      int    `json:"status"`
	Code        string `json:"code"`
	Detail      string `json:"detail"`
	Overridable bool   `json:"overridable,omitempty"`
	// Refusals lists every rule refusal of the request when there are
	// several: an override sets them all aside.
	Refusals []refusal `json:"refusals,omitempty"`
	// Permission is the permission a caller lacked (403 not_permitted).
	Permission string `json:"permission,omitempty"`
}

type refusal struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

func writeProblem(w http.ResponseWriter, p problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	b, err := json.Marshal(p)
	if err != nil {
		// A problem is strings and numbers only; this cannot happen.
		b = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500,"code":"internal","detail":"The server failed."}`)
		p.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="Stacks"`)
	}
	w.WriteHeader(p.Status)
	w.Write(append(b, '\n'))
}

// apiError is a refusal made by the API itself rather than by branch: a body
// that is not JSON, a query parameter out of range.
type apiError struct {
	status int
	code   string
	detail string
}

func (e *apiError) Error() string { return e.detail }

func badRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: "invalid", detail: fmt.Sprintf(format, args...)}
}

func badJSON(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: "bad_json", detail: fmt.Sprintf(format, args...)}
}

// refusalCodes are the rule refusals branch reports; overridable ones carry
// Overridable, but a few (a withdrawn item, an item already lost) cannot be
// overridden and still answer 403.
var refusalCodes = map[string]bool{
	"patron_blocked": true, "card_expired": true, "too_many_loans": true, "fines_over_limit": true,
	"item_on_hold": true, "not_loanable": true, "item_not_available": true, "renewals_exhausted": true,
	"renewal_blocked_by_hold": true, "hold_not_allowed": true, "too_many_holds": true, "already_on_loan": true,
}

// statusOf maps a branch refusal to an HTTP status, or 0 for one this edge
// does not know.
func statusOf(e *branch.Error) int {
	c := e.Code
	switch {
	case e.Overridable || refusalCodes[c]:
		return http.StatusForbidden
	case c == "not_found" || strings.HasSuffix(c, "_not_found"):
		return http.StatusNotFound
	case c == "invalid" || c == "bad_barcode" || c == "bad_amount" || c == "override_reason_required":
		return http.StatusBadRequest
	case c == "bad_credentials":
		return http.StatusUnauthorized
	case c == "pin_locked":
		return http.StatusLocked
	case c == "not_permitted" || c == "override_not_permitted":
		return http.StatusForbidden
	case strings.HasPrefix(c, "duplicate_") || strings.HasPrefix(c, "already_") || c == "item_checked_out" || c == "hold_not_active" ||
		c == "conflict_resolved":
		return http.StatusConflict
	}
	return 0
}

// problemFor translates an error into the problem to send. The second
// result reports an internal failure, whose real error must be logged.
func problemFor(err error) (problem, bool) {
	var fb *forbidden
	if errors.As(err, &fb) {
		return problem{Status: http.StatusForbidden, Code: "not_permitted", Detail: fb.detail, Permission: string(fb.perm)}, false
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return problem{Status: ae.status, Code: ae.code, Detail: ae.detail}, false
	}
	var be *branch.Error
	if errors.As(err, &be) {
		if st := statusOf(be); st != 0 {
			p := problem{Status: st, Code: be.Code, Detail: be.Message, Overridable: be.Overridable}
			if len(be.Also) > 0 {
				p.Refusals = append(p.Refusals, refusal{be.Code, be.Message})
				for _, o := range be.Also {
					p.Refusals = append(p.Refusals, refusal{o.Code, o.Message})
				}
			}
			return p, false
		}
	}
	return problem{Status: http.StatusInternalServerError, Code: "internal",
		Detail: "The server could not complete the request; the failure has been logged."}, true
}

// fail is the one place errors become responses.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	p, internal := problemFor(err)
	if internal {
		lvl := slog.LevelError
		if errors.Is(err, context.Canceled) {
			lvl = slog.LevelDebug // the client went away
		}
		a.lg.Log(r.Context(), lvl, "request failed", logMethod, r.Method, logPath, r.URL.Path,
			logCode, branch.ErrorCode(err), logErr, err)
	}
	writeProblem(w, p)
}
