package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// handlerFunc is a route: it writes a success response or returns the error
// to translate.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers a route that takes the query parameters named; any other
// is refused rather than silently ignored. Who may call it is routeAccess's
// entry for pattern, checked before the handler runs; a logged-in caller's
// use of an audited route is recorded. The route's error, if any, becomes a
// problem response.
func (a *API) handle(pattern string, h handlerFunc, params ...string) {
	allowed := make(map[string]bool, len(params))
	for _, p := range params {
		allowed[p] = true
	}
	acc, ok := routeAccess[pattern]
	if !ok {
		a.lg.Error("route has no entry in the permission table: nobody may call it", "route", pattern)
		acc = unlisted
	}
	a.patterns = append(a.patterns, pattern)
	a.params[pattern] = params
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		note := &auditNote{}
		if acc.audit {
			r = r.WithContext(context.WithValue(r.Context(), auditNoteKey{}, note))
		}
		sw := &statusWriter{ResponseWriter: w}
		err := checkParams(r, allowed, params)
		if err == nil {
			err = a.authorize(r, acc)
		}
		if err == nil && acc.self {
			actor := domain.ActorFrom(r.Context())
			actor.Channel = domain.ChannelApp
			r = r.WithContext(domain.WithActor(r.Context(), actor))
			noteSubject(r.Context(), callerFrom(r).subject, "")
		}
		if err == nil && acc.audit {
			r = a.rideAudit(r, pattern, note)
		}
		if err == nil {
			err = h(sw, r)
		}
		if err != nil {
			a.fail(sw, r, err)
		}
		if acc.audit {
			a.audit(r, pattern, note, sw.status, err)
		}
	})
}

func checkParams(r *http.Request, allowed map[string]bool, names []string) error {
	for k := range r.URL.Query() {
		if allowed[k] {
			continue
		}
		if len(names) == 0 {
			return badRequest("Unknown query parameter %q: this resource takes none.", k)
		}
		return badRequest("Unknown query parameter %q: this resource takes %s.", k, strings.Join(names, ", "))
	}
	return nil
}

// paged are the paging parameters of a list.
var paged = []string{apitype.ParamPage, apitype.ParamPerPage}

func withPaging(names ...string) []string { return append(names, paged...) }

// routes registers every route of the API.
func (a *API) routes() {
	a.handle("GET /healthz", a.healthz)
	a.handle("GET /api/v1/openapi.json", a.serveOpenAPI)
	a.handle("GET /api/v1/cluster/state", a.clusterState)
	a.handle("GET /api/v1/cluster/peers", a.clusterPeers)
	a.handle("GET /api/v1/auth/me", a.me)
	a.handle("POST /api/v1/auth/login", a.staffLogin)
	a.handle("POST /api/v1/auth/patron", a.patronLogin)
	a.handle("DELETE /api/v1/patrons/{id}/pin_lockout", a.resetPINLockout)
	a.handle("GET /api/v1/conflicts", a.listConflicts, withPaging("status")...)
	a.handle("GET /api/v1/conflicts/{id}", a.getConflict)
	a.handle("POST /api/v1/conflicts/{id}/resolution", a.resolveConflict)
	a.centralRoutes()

	a.handle("GET /api/v1/libraries", a.listLibraries, paged...)
	a.handle("GET /api/v1/libraries/{id}", a.getLibrary)
	a.handle("PUT /api/v1/libraries/{id}", a.putLibrary)
	a.handle("GET /api/v1/patron_categories", a.listCategories, paged...)
	a.handle("PUT /api/v1/patron_categories/{id}", a.putCategory)
	a.handle("GET /api/v1/item_types", a.listItemTypes, paged...)
	a.handle("PUT /api/v1/item_types/{id}", a.putItemType)

	a.handle("GET /api/v1/patrons", a.listPatrons, withPaging("cardnumber", "q", "verified")...)
	a.handle("POST /api/v1/patrons", a.addPatron)
	a.handle("GET /api/v1/patrons/{id}", a.getPatron)
	a.handle("PATCH /api/v1/patrons/{id}", a.patchPatron)
	a.handle("GET /api/v1/patrons/{id}/status", a.patronStatus)
	a.handle("POST /api/v1/patrons/{id}/block", a.blockPatron)
	a.handle("POST /api/v1/patrons/{id}/verify", a.verifyPatron)
	a.handle("DELETE /api/v1/patrons/{id}/block", a.unblockPatron)
	a.handle("POST /api/v1/patrons/{id}/card_renewal", a.renewCard)
	a.handle("POST /api/v1/patrons/{id}/expiry", a.expireCard)
	a.handle("GET /api/v1/patrons/{id}/checkouts", a.patronCheckouts, withPaging("history")...)
	a.handle("GET /api/v1/patrons/{id}/holds", a.patronHolds, paged...)
	a.handle("GET /api/v1/patrons/{id}/account", a.patronAccount)
	a.handle("POST /api/v1/patrons/{id}/account/payments", a.pay)
	a.handle("POST /api/v1/patrons/{id}/account/waivers", a.waive)
	a.handle("POST /api/v1/patrons/{id}/account/charges", a.charge)

	a.handle("GET /api/v1/biblios", a.listBiblios, withPaging("q", "isbn", "sort", "format", "language", "available_at",
		"library_id", "audience", "decade", "author", "subject")...)
	a.handle("GET /api/v1/biblios/{id}/editions", a.biblioEditions)
	a.handle("POST /api/v1/biblios", a.addBiblio)
	a.handle("GET /api/v1/biblios/{id}", a.getBiblio, "from")
	a.handle("PUT /api/v1/biblios/{id}", a.putBiblio)
	a.handle("POST /api/v1/biblios/import", a.importBiblios)
	a.handle("GET /api/v1/biblios/{id}/items", a.biblioItems, paged...)
	a.handle("GET /api/v1/biblios/{id}/availability", a.biblioAvailability)
	a.handle("GET /api/v1/biblios/{id}/holds", a.biblioHolds, paged...)

	a.handle("GET /api/v1/items", a.listItems, withPaging("status", "biblio_id", "library_id", "barcode", "item_type_id", "transit_to")...)
	a.handle("POST /api/v1/items", a.addItem)
	a.handle("GET /api/v1/items/{id}", a.getItem)
	a.handle("PATCH /api/v1/items/{id}", a.patchItem)
	a.handle("POST /api/v1/items/{id}/lost", a.itemLost)
	a.handle("PUT /api/v1/items/{id}/properties", a.putItemProperties)

	a.handle("GET /api/v1/checkouts", a.listCheckouts, withPaging("patron_id")...)
	a.handle("POST /api/v1/checkouts", a.checkout)
	a.handle("GET /api/v1/checkouts/{id}", a.getCheckout)
	a.handle("POST /api/v1/checkouts/{id}/renewal", a.renewByID)
	a.handle("POST /api/v1/checkouts/renewal", a.renewByItem)
	a.handle("POST /api/v1/checkins", a.checkin)

	a.handle("GET /api/v1/holds", a.listHolds, withPaging("patron_id", "biblio_id")...)
	a.handle("POST /api/v1/holds", a.placeHold, "from")
	a.handle("GET /api/v1/holds/shelf", a.holdShelf)
	a.handle("POST /api/v1/holds/expire", a.expireHolds)
	a.handle("GET /api/v1/holds/{id}", a.getHold)
	a.handle("DELETE /api/v1/holds/{id}", a.cancelHold, "reason")

	a.handle("GET /api/v1/fees", a.fees, "patron_id")

	a.digitalRoutes()
	a.recommendRoutes()
	a.noticesRoutes()
	a.helpRoutes()
	a.noticesStaffRoutes()
	a.insightsRoutes()
	a.feedbackRoutes()
	a.printingRoutes()
	a.eventsRoutes()

	a.handle("GET /api/v1/circulation-rules", a.listRules, paged...)
	a.handle("PUT /api/v1/circulation-rules", a.putRule)
	a.handle("DELETE /api/v1/circulation-rules", a.deleteRule, ruleParams...)
	a.handle("GET /api/v1/circulation-rules/effective", a.effectiveRule, ruleParams...)

	a.handle("GET /api/v1/calendar", a.calendar, "library_id", "from", "to")
	a.handle("PUT /api/v1/calendar/hours", a.putHours)
	a.handle("PUT /api/v1/calendar/closed", a.putClosed)

	a.handle("GET /api/v1/staff", a.listStaff, paged...)
	a.handle("PUT /api/v1/staff/{username}", a.putStaff)
	a.handle("PATCH /api/v1/staff/{username}", a.patchStaff)
	a.handle("GET /api/v1/audit", a.listAudit, withPaging("actor", "patron_id", "from", "to")...)

	a.patronRoutes()
}

// dispatch routes a request. The mux answers unknown routes and wrong
// methods in plain text; those answers are turned into problems here.
func (a *API) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := a.mux.Handler(r); pattern != "" {
		a.mux.ServeHTTP(w, r)
		return
	}
	h, _ := a.mux.Handler(r)
	c := &captureWriter{header: http.Header{}}
	h.ServeHTTP(c, r)
	switch c.status {
	case http.StatusNotFound:
		writeProblem(w, problemOf(domain.CodeNotFound, "There is no such resource: "+r.URL.Path+"."))
	case http.StatusMethodNotAllowed:
		if allow := c.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		writeProblem(w, problemOf(CodeMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+"."))
	default:
		for k, v := range c.header {
			w.Header()[k] = v
		}
		w.WriteHeader(c.status)
		w.Write(c.body.Bytes())
	}
}

// captureWriter holds a response so that it can be rewritten.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captureWriter) Header() http.Header { return c.header }

func (c *captureWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *captureWriter) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return c.body.Write(b)
}
