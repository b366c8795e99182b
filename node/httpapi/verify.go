package httpapi

import (
	"net/http"

	"stacks/node/apitype"
)

// unverifiedPatrons is GET /api/v1/patrons?verified=false: the
// self-registered patrons awaiting verification, oldest first.
func (a *API) unverifiedPatrons(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	end := p.offset() + p.size
	if end > patronSearchMax {
		return badRequest("The verification queue shows at most its first %d patrons.", patronSearchMax)
	}
	ps, err := a.svc.UnverifiedPatrons(r.Context(), end)
	if err != nil {
		return err
	}
	start := min(p.offset(), len(ps))
	return writeJSON(w, http.StatusOK, nonNil(ps[start:]))
}

// verifyPatron is POST /api/v1/patrons/{id}/verify.
func (a *API) verifyPatron(w http.ResponseWriter, r *http.Request) error {
	var req apitype.VerifyRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	pt, err := a.svc.VerifyPatron(r.Context(), r.PathValue("id"), req.Category)
	if err != nil {
		return err
	}
	noteSubject(r.Context(), pt.PatronID, "")
	return writeJSON(w, http.StatusOK, pt)
}
