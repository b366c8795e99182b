package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

func writeProblem(w http.ResponseWriter, p apitype.Problem) {
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
	h.Set("Content-Type", apitype.ContentTypeProblem)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="Stacks"`)
	}
	w.WriteHeader(p.Status)
	w.Write(append(b, '\n'))
}

// apiError is a refusal made by the API itself rather than by branch: a body
// that is not JSON, a query parameter out of range. Its code's kind gives
// its status, as for branch's refusals.
type apiError struct {
	code   domain.Code
	detail string
}

func (e *apiError) Error() string { return e.detail }

func badRequest(format string, args ...any) error {
	return &apiError{code: domain.CodeInvalid, detail: fmt.Sprintf(format, args...)}
}

func badJSON(format string, args ...any) error {
	return &apiError{code: CodeBadJSON, detail: fmt.Sprintf(format, args...)}
}

// problemOf is the problem for a code, with its status from the code's
// kind.
func problemOf(code domain.Code, detail string) apitype.Problem {
	return apitype.Problem{Status: StatusOf(code), Code: string(code), Detail: detail}
}

// internalProblem answers a failure, whose real error is logged.
func internalProblem() apitype.Problem {
	return problemOf(domain.CodeInternal, "The server could not complete the request; the failure has been logged.")
}

// problemFor translates an error into the problem to send. The second
// result reports an internal failure, whose real error must be logged.
func problemFor(err error) (apitype.Problem, bool) {
	var fb *forbidden
	if errors.As(err, &fb) {
		p := problemOf(domain.CodeNotPermitted, fb.detail)
		p.Permission = string(fb.perm)
		return p, false
	}
	var ae *apiError
	if errors.As(err, &ae) && KindOf(ae.code) != domain.KindInternal {
		return problemOf(ae.code, ae.detail), false
	}
	var be *domain.Error
	if errors.As(err, &be) && be.Kind() != domain.KindInternal {
		p := problemOf(be.Code, be.Message)
		p.Overridable = be.Overridable
		if len(be.Also) > 0 {
			p.Refusals = append(p.Refusals, apitype.Refusal{Code: string(be.Code), Detail: be.Message})
			for _, o := range be.Also {
				p.Refusals = append(p.Refusals, apitype.Refusal{Code: string(o.Code), Detail: o.Message})
			}
		}
		return p, false
	}
	return internalProblem(), true
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
			logCode, domain.ErrorCode(err), logErr, err)
	}
	writeProblem(w, p)
}
