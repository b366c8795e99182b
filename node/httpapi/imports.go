package httpapi

import (
	"net/http"

	"stacks/branch/domain"
	"stacks/branch/imports"
	"stacks/branch/marc"
	"stacks/node/apitype"
)

// importBiblios imports one batch of MARC records (branch/imports): one
// transaction, one result per record. A record whose bytes do not parse is
// answered as an error and left out; the rest import.
func (a *API) importBiblios(w http.ResponseWriter, r *http.Request) error {
	var req apitype.ImportRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if len(req.Records) > domain.ImportMaxRecords {
		return domain.Invalid("At most %d records per batch, not %d.", domain.ImportMaxRecords, len(req.Records))
	}
	out := make([]domain.ImportResult, len(req.Records))
	var recs []imports.Record
	var at []int // index in out of each of recs
	for i, rr := range req.Records {
		out[i] = domain.ImportResult{Ordinal: rr.Ordinal, Offset: rr.Offset}
		m, err := marc.Unmarshal(rr.MARC)
		if err != nil {
			out[i].Outcome, out[i].Error = domain.ImportFailed, err.Error()
			continue
		}
		recs = append(recs, imports.Record{Ordinal: rr.Ordinal, Offset: rr.Offset, MARC: m})
		at = append(at, i)
	}
	res, err := imports.NewService(a.svc).Import(r.Context(), req.Options, recs)
	if err != nil {
		return err
	}
	for j, x := range res {
		out[at[j]] = x
	}
	return writeJSON(w, http.StatusOK, apitype.ImportResponse{Results: out})
}
