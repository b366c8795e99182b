package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"stacks/branch"
	"stacks/branch/audit"
	"stacks/branch/domain"
)

// forbidden is the problem of a logged-in caller without the permission a
// route needs; it names the permission.
type forbidden struct {
	perm   domain.Permission
	detail string
}

func (e *forbidden) Error() string { return e.detail }

// authorize decides whether the request's caller may use the route with
// access acc: nil, or the error to answer (401 without a login, 403 with
// one that may not).
func (a *API) authorize(r *http.Request, acc access) error {
	if acc.public {
		return nil
	}
	who := callerFrom(r)
	if who.kind == "" {
		return &apiError{code: CodeLoginRequired,
			detail: "Log in first: HTTP Basic with a staff login, or a Bearer token from POST /api/v1/auth/login or /api/v1/auth/patron."}
	}
	if acc.login {
		return nil
	}
	if acc.self {
		if who.kind != kindPatron {
			return &forbidden{perm: acc.perm, detail: "The patron API is for patrons, with a token from POST /api/v1/auth/patron; staff use /api/v1/patrons/{id}/..."}
		}
		return nil
	}
	if who.kind == kindPatron {
		if acc.owner == nil {
			return &forbidden{perm: acc.perm, detail: "A patron may not do this; it needs a staff login with the permission " + string(acc.perm) + "."}
		}
		ok, err := acc.owner(a, r, who.subject)
		if err != nil {
			return err
		}
		if !ok {
			return &forbidden{perm: acc.perm, detail: "A patron may only see and act on their own account."}
		}
		return nil
	}
	if !domain.Can(who.role, acc.perm) {
		return &forbidden{perm: acc.perm, detail: fmt.Sprintf("Your role (%s) may not do this: it needs the permission %s.", who.role, acc.perm)}
	}
	return nil
}

// peekBody decodes the JSON body into v without using it up: the handler
// reads it again. It does not refuse unknown fields; the handler does.
func peekBody(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return jsonError(err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return jsonError(err)
	}
	return nil
}

// auditNote is what a handler adds to its request's audit record: the
// patron and item it concerned, when the path does not say.
type auditNote struct {
	patronID, itemID string

	// ride is the request's audit rider (nil: none); committed says a
	// change of the request committed; rode is the record that committed
	// with it, saying rodeStatus.
	ride       *branch.Rider
	committed  bool
	rode       audit.Record
	rodeStatus int
}

type auditNoteKey struct{}

// noteSubject records which patron and item the request concerned.
func noteSubject(ctx context.Context, patronID, itemID string) {
	if n, ok := ctx.Value(auditNoteKey{}).(*auditNote); ok {
		if patronID != "" {
			n.patronID = patronID
		}
		if itemID != "" {
			n.itemID = itemID
		}
	}
}
