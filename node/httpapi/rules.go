package httpapi

import (
	"net/http"
	"strings"

	"stacks/branch/domain"
)

func (a *API) listRules(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	rs, err := a.svc.Rules(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, rs, p))
}

// putRule creates or replaces one cell of the matrix, named by the body's
// library_id, category_id and item_type_id ('*' for any).
func (a *API) putRule(w http.ResponseWriter, r *http.Request) error {
	var rule domain.Rule
	if err := decodeBody(r, &rule, false); err != nil {
		return err
	}
	if err := a.svc.SetRule(r.Context(), rule); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rule)
}

// ruleParams name a cell of the matrix.
var ruleParams = []string{"library_id", "category_id", "item_type_id"}

// ruleKey reads the three coordinates of a matrix cell from the query.
func ruleKey(r *http.Request) (lib, cat, typ string, err error) {
	if lib, err = requiredParam(r, "library_id"); err != nil {
		return
	}
	if cat, err = requiredParam(r, "category_id"); err != nil {
		return
	}
	typ, err = requiredParam(r, "item_type_id")
	return
}

func (a *API) deleteRule(w http.ResponseWriter, r *http.Request) error {
	lib, cat, typ, err := ruleKey(r)
	if err != nil {
		return err
	}
	// branch.DeleteRule takes any key at all; refuse one SetRule would refuse.
	for _, v := range []string{lib, cat, typ} {
		if len(v) > 32 || strings.ContainsAny(v, " \t\r\n") {
			return badRequest("A rule is named by a library, a category and an item type (or '*'), each at most 32 characters without spaces.")
		}
	}
	if err := a.svc.DeleteRule(r.Context(), lib, cat, typ); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// effectiveRule is the rule that applies to a category and item type at a
// library (this branch unless library_id says otherwise).
func (a *API) effectiveRule(w http.ResponseWriter, r *http.Request) error {
	lib := r.URL.Query().Get("library_id")
	if lib == "" {
		lib = a.svc.Branch()
	}
	cat, err := requiredParam(r, "category_id")
	if err != nil {
		return err
	}
	typ, err := requiredParam(r, "item_type_id")
	if err != nil {
		return err
	}
	rule, err := a.svc.EffectiveRule(r.Context(), lib, cat, typ)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rule)
}
