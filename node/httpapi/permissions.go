package httpapi

import (
	"net/http"

	"stacks/branch/domain"
)

// Who may call each route. The key is the exact pattern given to handle;
// handle looks the route up here and refuses, before the handler runs, a
// caller without the permission. A route missing from this table is
// refused to everyone (and TestEveryRouteHasPermission fails).
//
//   - public: anyone, without a login (what the catalogue shows);
//   - login: any logged-in caller, staff or patron;
//   - a domain.Permission: a staff role that grants it (domain.Can);
//   - own: a logged-in patron may call the route for their own account
//     only, as the ownership check says; anyone else's is 403;
//   - audited: every use by a logged-in caller is recorded in the audit log
//     (writes, and every read of a patron's personal data).
var routeAccess = map[string]access{
	"GET /healthz":             public(),
	"GET /metrics":             public(),
	"GET /api/v1/openapi.json": public(),

	"POST /api/v1/auth/login":  public(),
	"POST /api/v1/auth/patron": public(),
	"GET /api/v1/auth/me":      loggedIn(),

	"GET /api/v1/cluster/state":              need(domain.PermClusterState),
	"GET /api/v1/cluster/peers":              need(domain.PermClusterState),
	"GET /api/v1/cluster/status":             need(domain.PermClusterStatus),
	"GET /status":                            need(domain.PermClusterStatus),
	"GET /api/v1/cluster/raft":               need(domain.PermClusterAdmin),
	"POST /api/v1/cluster/members":           need(domain.PermClusterAdmin).audited(),
	"DELETE /api/v1/cluster/members/{id}":    need(domain.PermClusterAdmin).audited(),
	"GET /api/v1/cluster/nodes":              need(domain.PermClusterState),
	"PUT /api/v1/cluster/nodes/{node_id}":    need(domain.PermClusterAdmin).audited(),
	"GET /api/v1/conflicts":                  need(domain.PermConflictsRead).audited(), // names the patrons
	"GET /api/v1/conflicts/{id}":             need(domain.PermConflictsRead).audited(),
	"POST /api/v1/conflicts/{id}/resolution": need(domain.PermConflictsResolve).audited(),

	"GET /api/v1/libraries":              public(),
	"GET /api/v1/libraries/{id}":         public(),
	"PUT /api/v1/libraries/{id}":         need(domain.PermRegistryWrite).audited(),
	"GET /api/v1/patron_categories":      public(),
	"PUT /api/v1/patron_categories/{id}": need(domain.PermPolicyWrite).audited(),
	"GET /api/v1/item_types":             public(),
	"PUT /api/v1/item_types/{id}":        need(domain.PermPolicyWrite).audited(),

	"GET /api/v1/patrons":             need(domain.PermPatronsRead).audited(),
	"POST /api/v1/patrons":            need(domain.PermPatronsWrite).audited(),
	"GET /api/v1/patrons/{id}":        need(domain.PermPatronsRead).own(ownPath).audited(),
	"PATCH /api/v1/patrons/{id}":      need(domain.PermPatronsWrite).audited(),
	"GET /api/v1/patrons/{id}/status": need(domain.PermPatronsRead).own(ownPath).audited(),
	"POST /api/v1/patrons/{id}/block": need(domain.PermPatronsBlock).audited(),

	"GET /api/v1/patrons/{id}/export":          need(domain.PermPatronsExport).own(ownPath).audited(),
	"POST /api/v1/patrons/{id}/erasure":        need(domain.PermPatronsErase).audited(),
	"GET /api/v1/privacy/retention":            need(domain.PermRulesRead),
	"PUT /api/v1/privacy/retention/{category}": need(domain.PermPolicyWrite).audited(),
	"GET /api/v1/patron/privacy":               self().audited(),
	"GET /api/v1/patron/export":                self().audited(),

	"GET /api/v1/patrons/{id}/notices":                                       need(domain.PermNoticesRead).own(ownPath).audited(),
	"DELETE /api/v1/patrons/{id}/contact_flags/{channel}":                    need(domain.PermPatronsWrite).audited(),
	"POST /api/v1/notices/{key}/resend":                                      need(domain.PermNoticesSend).audited(),
	"GET /api/v1/notices/print":                                              need(domain.PermNoticesRead).audited(), // names and addresses
	"GET /api/v1/notice_rules/overdue":                                       need(domain.PermRulesRead),
	"PUT /api/v1/notice_rules/overdue":                                       need(domain.PermPolicyWrite).audited(),
	"DELETE /api/v1/notice_rules/overdue/{library_id}/{category_id}/{level}": need(domain.PermPolicyWrite).audited(),

	"POST /api/v1/patrons/{id}/verify":           need(domain.PermPatronsWrite).audited(),
	"DELETE /api/v1/patrons/{id}/block":          need(domain.PermPatronsBlock).audited(),
	"POST /api/v1/patrons/{id}/card_renewal":     need(domain.PermPatronsWrite).audited(),
	"POST /api/v1/patrons/{id}/expiry":           need(domain.PermPatronsBlock).audited(),
	"DELETE /api/v1/patrons/{id}/pin_lockout":    need(domain.PermPINReset).audited(),
	"GET /api/v1/patrons/{id}/checkouts":         need(domain.PermPatronsRead).own(ownPath).audited(),
	"GET /api/v1/patrons/{id}/holds":             need(domain.PermPatronsRead).own(ownPath).audited(),
	"GET /api/v1/patrons/{id}/account":           need(domain.PermFeesRead).own(ownPath).audited(),
	"POST /api/v1/patrons/{id}/account/payments": need(domain.PermFeesPay).own(ownPath).audited(),
	"POST /api/v1/patrons/{id}/account/waivers":  need(domain.PermFeesWaive).audited(),
	"POST /api/v1/patrons/{id}/account/charges":  need(domain.PermFeesCharge).audited(),
	"GET /api/v1/fees":                           need(domain.PermFeesRead).own(ownQuery).audited(),

	"GET /api/v1/biblios":                   public(),
	"GET /api/v1/biblios/{id}/editions":     public(),
	"POST /api/v1/biblios":                  need(domain.PermCatalogueWrite).audited(),
	"GET /api/v1/biblios/{id}":              public(),
	"PUT /api/v1/biblios/{id}":              need(domain.PermCatalogueWrite).audited(),
	"POST /api/v1/biblios/import":           need(domain.PermCatalogueWrite).audited(),
	"GET /api/v1/biblios/{id}/items":        public(),
	"GET /api/v1/biblios/{id}/availability": public(),
	"GET /api/v1/biblios/{id}/holds":        need(domain.PermHoldsRead).audited(), // the queue names patrons

	"GET /api/v1/items":                 public(),
	"POST /api/v1/items":                need(domain.PermCatalogueWrite).audited(),
	"GET /api/v1/items/{id}":            public(),
	"PATCH /api/v1/items/{id}":          need(domain.PermCatalogueWrite).audited(),
	"POST /api/v1/items/{id}/lost":      need(domain.PermItemsLost).audited(),
	"PUT /api/v1/items/{id}/properties": need(domain.PermItemProperties).audited(),

	"GET /api/v1/checkouts":               need(domain.PermPatronsRead).own(ownQuery).audited(),
	"POST /api/v1/checkouts":              need(domain.PermCirculation).audited(),
	"GET /api/v1/checkouts/{id}":          need(domain.PermPatronsRead).own(ownLoan).audited(),
	"POST /api/v1/checkouts/{id}/renewal": need(domain.PermCirculation).own(ownLoan).audited(),
	"POST /api/v1/checkouts/renewal":      need(domain.PermCirculation).audited(),
	"POST /api/v1/checkins":               need(domain.PermCirculation).audited(),
	"GET /api/v1/holds":                   need(domain.PermHoldsRead).own(ownQuery).audited(),
	"POST /api/v1/holds":                  need(domain.PermHoldsWrite).own(ownHoldRequest).audited(),
	"GET /api/v1/holds/shelf":             need(domain.PermHoldsRead).audited(),
	"POST /api/v1/holds/expire":           need(domain.PermHoldsWrite).audited(),
	"GET /api/v1/holds/{id}":              need(domain.PermHoldsRead).own(ownHold).audited(),
	"DELETE /api/v1/holds/{id}":           need(domain.PermHoldsWrite).own(ownHold).audited(),

	// Receipt printing (printing.go).
	"POST /api/v1/patrons/{id}/receipt":      need(domain.PermCirculation).audited(),
	"GET /api/v1/printing/jobs":              need(domain.PermCirculation),
	"GET /api/v1/printing/printers":          need(domain.PermCirculation),
	"POST /api/v1/printing/jobs/{id}/cancel": need(domain.PermCirculation).audited(),
	"POST /api/v1/printing/jobs/{id}/move":   need(domain.PermCirculation).audited(),
	"POST /api/v1/printing/jobs/{id}/retry":  need(domain.PermCirculation).audited(),

	// Digital lending (digital.go): licences are catalogue data; loans and
	// holds are circulation, and a patron's own.
	"GET /api/v1/biblios/{id}/licences":           public(),
	"POST /api/v1/biblios/{id}/licences":          need(domain.PermCatalogueWrite).audited(),
	"GET /api/v1/biblios/{id}/digital_holds":      need(domain.PermHoldsRead).audited(), // the queue names patrons
	"POST /api/v1/digital_checkouts":              need(domain.PermCirculation).own(ownHoldRequest).audited(),
	"GET /api/v1/digital_checkouts/{id}":          need(domain.PermPatronsRead).own(ownDigitalLoan).audited(),
	"POST /api/v1/digital_checkouts/{id}/renewal": need(domain.PermCirculation).own(ownDigitalLoan).audited(),
	"POST /api/v1/digital_checkouts/{id}/return":  need(domain.PermCirculation).own(ownDigitalLoan).audited(),
	"POST /api/v1/digital_holds":                  need(domain.PermHoldsWrite).own(ownHoldRequest).audited(),
	"GET /api/v1/digital_holds/{id}":              need(domain.PermHoldsRead).own(ownDigitalHold).audited(),
	"DELETE /api/v1/digital_holds/{id}":           need(domain.PermHoldsWrite).own(ownDigitalHold).audited(),
	"GET /api/v1/patrons/{id}/digital_holds":      need(domain.PermPatronsRead).own(ownPath).audited(),

	"GET /api/v1/circulation-rules":           need(domain.PermRulesRead),
	"PUT /api/v1/circulation-rules":           need(domain.PermPolicyWrite).audited(),
	"DELETE /api/v1/circulation-rules":        need(domain.PermPolicyWrite).audited(),
	"GET /api/v1/circulation-rules/effective": need(domain.PermRulesRead),
	"GET /api/v1/calendar":                    public(),
	"PUT /api/v1/calendar/hours":              need(domain.PermPolicyWrite).audited(),
	"PUT /api/v1/calendar/closed":             need(domain.PermPolicyWrite).audited(),

	"GET /api/v1/staff":              need(domain.PermStaffRead),
	"PUT /api/v1/staff/{username}":   need(domain.PermStaffWrite).audited(),
	"PATCH /api/v1/staff/{username}": need(domain.PermStaffWrite).audited(),
	"GET /api/v1/audit":              need(domain.PermAuditRead),

	"POST /api/v1/handoff_codes/redemption": need(domain.PermCirculation).audited(),

	// Help requests (help.go): a patron (token) or a kiosk (login) asks;
	// staff may ask for a patron named by card; the asker reads, replies
	// and closes their own (checked in help.go); staff with PermHelp work
	// the queue.
	"POST /api/v1/help_requests":               {login: true, audit: true},
	"GET /api/v1/help_requests":                need(domain.PermHelp),
	"GET /api/v1/patron/help_requests":         self(),
	"GET /api/v1/help_requests/stats":          need(domain.PermHelp),
	"GET /api/v1/help_requests/{id}":           loggedIn(),
	"POST /api/v1/help_requests/{id}/claim":    need(domain.PermHelp).audited(),
	"POST /api/v1/help_requests/{id}/takeover": need(domain.PermHelp).audited(),
	"POST /api/v1/help_requests/{id}/answers":  need(domain.PermHelp).audited(),
	"POST /api/v1/help_requests/{id}/replies":  {login: true, audit: true},
	"POST /api/v1/help_requests/{id}/close":    loggedIn().audited(),

	// The patron API: the caller's own account, by their patron token.
	// Events (branch/events, events.go).
	"GET /api/v1/events":                                         public(),
	"POST /api/v1/events":                                        need(domain.PermEventsWrite).audited(),
	"GET /api/v1/events/{id}":                                    public(),
	"PUT /api/v1/events/{id}":                                    need(domain.PermEventsWrite).audited(),
	"DELETE /api/v1/events/{id}":                                 need(domain.PermEventsWrite).audited(),
	"GET /api/v1/events/{id}/registrations":                      need(domain.PermEventsDesk).audited(), // names the patrons
	"POST /api/v1/events/{id}/registrations":                     need(domain.PermEventsDesk).own(ownHoldRequest).audited(),
	"DELETE /api/v1/events/{id}/registrations/{registration_id}": need(domain.PermEventsDesk).own(ownRegistration).audited(),
	"POST /api/v1/events/{id}/checkins":                          need(domain.PermEventsDesk).audited(),
	"POST /api/v1/event_checkins":                                need(domain.PermEventsDesk).audited(),
	"GET /api/v1/patron/event_registrations":                     self().audited(),
	"POST /api/v1/patron/event_registrations":                    self().audited(),
	"DELETE /api/v1/patron/event_registrations/{id}":             self().audited(),

	"GET /api/v1/patron/profile":                 self().audited(),
	"PATCH /api/v1/patron/profile":               self().audited(),
	"GET /api/v1/patron/account":                 self().audited(),
	"GET /api/v1/patron/checkouts":               self().audited(),
	"POST /api/v1/patron/checkouts/{id}/renewal": self().audited(),
	"POST /api/v1/patron/checkouts/renewal":      self().audited(),
	"GET /api/v1/patron/holds":                   self().audited(),
	"POST /api/v1/patron/holds":                  self().audited(),
	"PATCH /api/v1/patron/holds/{id}":            self().audited(),
	"DELETE /api/v1/patron/holds/{id}":           self().audited(),
	"GET /api/v1/patron/charges":                 self().audited(),
	"POST /api/v1/patron/payments":               self().audited(),
	"GET /api/v1/patron/payments/{id}":           self().audited(),
	"GET /api/v1/patron/pickup_locations":        self(),
	"POST /api/v1/patron/handoff_codes":          self().audited(),
	"GET /api/v1/patron/reading_history":         self().audited(),
	"PUT /api/v1/patron/reading_history":         self().audited(),
	"DELETE /api/v1/patron/reading_history":      self().audited(),
	"GET /api/v1/patron/messaging_preferences":   self().audited(),
	"PUT /api/v1/patron/messaging_preferences":   self().audited(),

	// Feedback (feedback.go). Answers come from a patron's token (their
	// own), or a kiosk's or desk's login with the patron's card or none
	// (anonymous); they are not audited, so that nothing records who
	// sent an anonymous answer. Results carry no
	// personal data (rules.read: desk roles and central IT); answers name
	// patrons (holds.read: desk staff, not kiosks); a reply writes to a
	// patron's account (patrons.write); "you said, we did" is what the
	// library publishes (catalogue.write: supervisors and admins).
	"POST /api/v1/feedback":                        need(domain.PermCirculation).own(ownSelf),
	"GET /api/v1/feedback":                         need(domain.PermHoldsRead).audited(),
	"GET /api/v1/feedback/results":                 need(domain.PermRulesRead),
	"POST /api/v1/feedback/invitations":            need(domain.PermCirculation).audited(),
	"POST /api/v1/feedback/invitations/{id}/close": need(domain.PermCirculation).own(ownSelf),
	"POST /api/v1/feedback/{id}/replies":           need(domain.PermPatronsWrite).audited(),
	"GET /api/v1/patron/feedback":                  self().audited(),
	"GET /api/v1/you_said_we_did":                  public(),
	"GET /api/v1/feedback/you_said_we_did":         need(domain.PermCatalogueWrite),
	"POST /api/v1/feedback/you_said_we_did":        need(domain.PermCatalogueWrite).audited(),
	"PUT /api/v1/feedback/you_said_we_did/{id}":    need(domain.PermCatalogueWrite).audited(),
	"DELETE /api/v1/feedback/you_said_we_did/{id}": need(domain.PermCatalogueWrite).audited(),
	// Recommendations (recommend.go).
	"GET /api/v1/biblios/{id}/recommendations": public(),
	"GET /api/v1/patron/recommendations":       self().audited(),
	"GET /api/v1/patron/suggestions":           self().audited(),
	"PUT /api/v1/patron/suggestions":           self().audited(),
}

// access is who may call one route.
type access struct {
	// perm is the permission a staff role needs; "" with public or login.
	perm   domain.Permission
	public bool
	login  bool
	// owner, when set, lets a logged-in patron call the route for their
	// own account: it reports whether the request concerns patronID.
	owner ownerCheck
	audit bool
	// self: only a logged-in patron, on their own account (the patron
	// API); their ops name channel app.
	self bool
}

func public() access                     { return access{public: true} }
func loggedIn() access                   { return access{login: true} }
func need(p domain.Permission) access    { return access{perm: p} }
func self() access                       { return access{self: true, perm: domain.RolePatron} }
func (a access) own(o ownerCheck) access { a.owner = o; return a }
func (a access) audited() access         { a.audit = true; return a }

// unlisted is the access of a route missing from the table: nobody.
var unlisted = access{perm: "unlisted"}

// ownerCheck reports whether a request is about the patron patronID's own
// account. It may read state; an error (e.g. not found) is answered as is.
type ownerCheck func(a *API, r *http.Request, patronID string) (bool, error)

// ownSelf: the request is about the calling patron by construction (the
// handler acts for the caller only).
func ownSelf(*API, *http.Request, string) (bool, error) { return true, nil }

// ownPath: the {id} in the path is the patron.
func ownPath(_ *API, r *http.Request, patronID string) (bool, error) {
	return r.PathValue("id") == patronID, nil
}

// ownQuery: the patron_id query parameter is the patron.
func ownQuery(_ *API, r *http.Request, patronID string) (bool, error) {
	return r.URL.Query().Get("patron_id") == patronID, nil
}

// ownLoan: the loan {id} is the patron's.
func ownLoan(a *API, r *http.Request, patronID string) (bool, error) {
	l, err := a.svc.Loan(r.Context(), r.PathValue("id"))
	if err != nil {
		return false, err
	}
	return l.PatronID == patronID, nil
}

// ownHold: the hold {id} is the patron's.
func ownHold(a *API, r *http.Request, patronID string) (bool, error) {
	h, err := a.svc.Hold(r.Context(), r.PathValue("id"))
	if err != nil {
		return false, err
	}
	return h.PatronID == patronID, nil
}

// ownDigitalLoan: the digital loan {id} is the patron's.
func ownDigitalLoan(a *API, r *http.Request, patronID string) (bool, error) {
	l, err := a.digital.Loan(r.Context(), r.PathValue("id"))
	if err != nil {
		return false, err
	}
	return l.PatronID == patronID, nil
}

// ownDigitalHold: the digital hold {id} is the patron's.
func ownDigitalHold(a *API, r *http.Request, patronID string) (bool, error) {
	h, err := a.digital.Hold(r.Context(), r.PathValue("id"))
	if err != nil {
		return false, err
	}
	return h.PatronID == patronID, nil
}

// ownHoldRequest: the hold asked for in the body is for the patron, named
// by patron_id or card number. The body is put back for the handler.
func ownHoldRequest(a *API, r *http.Request, patronID string) (bool, error) {
	var req struct {
		PatronID   string `json:"patron_id"`
		Cardnumber string `json:"cardnumber"`
	}
	if err := peekBody(r, &req); err != nil {
		return false, err
	}
	switch {
	case req.PatronID != "":
		return req.PatronID == patronID && req.Cardnumber == "", nil
	case req.Cardnumber != "":
		p, err := a.svc.PatronByCard(r.Context(), req.Cardnumber)
		if err != nil {
			return false, nil
		}
		return p.PatronID == patronID, nil
	}
	return false, nil
}
