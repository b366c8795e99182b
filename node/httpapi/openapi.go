package httpapi

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/node/apitype"
)

// The OpenAPI 3.1 description of the API, served at
// GET /api/v1/openapi.json.
//
// It is generated from the route table rather than written by hand: every
// route registered with handle is described, with its method, path
// parameters, the query parameters handle accepts, and who may call it
// (from routeAccess), so the document cannot drift from the routes. What
// the code cannot know, a one-line summary per route and the JSON shapes of
// the patron API's bodies, is in routeDocs below; a test fails when a
// route has no entry there or an entry names no route.

// routeDoc is what the route table cannot say about a route.
type routeDoc struct {
	summary string
	// req and resp are examples of the request and response bodies'
	// types, whose JSON schemas are derived by reflection; nil means an
	// object not described further.
	req, resp any
}

func doc(summary string) routeDoc { return routeDoc{summary: summary} }

func docBody(summary string, req, resp any) routeDoc {
	return routeDoc{summary: summary, req: req, resp: resp}
}

var routeDocs = map[string]routeDoc{
	"GET /healthz":                            doc("Health check of the node"),
	"GET /metrics":                            doc("Prometheus metrics"),
	"GET /status":                             doc("Cluster status page (HTML) for central IT"),
	"GET /api/v1/openapi.json":                doc("This OpenAPI 3.1 description of the whole API"),
	"GET /api/v1/cluster/state":               doc("Replication state: node ID, version vector, state hash"),
	"GET /api/v1/cluster/peers":               doc("Sync status per peer"),
	"GET /api/v1/cluster/status":              doc("Cluster health (central)"),
	"GET /api/v1/cluster/raft":                doc("Raft configuration and state (central)"),
	"POST /api/v1/cluster/members":            doc("Add a central node to the Raft cluster"),
	"DELETE /api/v1/cluster/members/{id}":     doc("Remove a central node from the Raft cluster"),
	"GET /api/v1/cluster/nodes":               doc("The branch registry"),
	"PUT /api/v1/cluster/nodes/{node_id}":     doc("Register or change a node in the branch registry"),
	"GET /api/v1/auth/me":                     doc("Who the caller is, with their permissions"),
	"POST /api/v1/auth/login":                 docBody("Staff login: a session token", apitype.LoginRequest{}, apitype.Session{}),
	"POST /api/v1/auth/patron":                docBody("Patron login with card number and PIN: the patron and a token (VuFind patronLogin)", apitype.PatronLoginRequest{}, apitype.PatronSession{}),
	"DELETE /api/v1/patrons/{id}/pin_lockout": doc("Clear a patron's PIN lockout"),
	"GET /api/v1/conflicts":                   doc("Conflicts found by merges"),
	"GET /api/v1/conflicts/{id}":              doc("One conflict"),
	"POST /api/v1/conflicts/{id}/resolution":  doc("Resolve a conflict"),

	"GET /api/v1/libraries":              docBody("Libraries", nil, []domain.Library{}),
	"GET /api/v1/libraries/{id}":         docBody("One library", nil, domain.Library{}),
	"PUT /api/v1/libraries/{id}":         docBody("Add or change a library", domain.Library{}, domain.Library{}),
	"GET /api/v1/patron_categories":      docBody("Patron categories", nil, []domain.Category{}),
	"PUT /api/v1/patron_categories/{id}": docBody("Add or change a patron category", domain.Category{}, domain.Category{}),
	"GET /api/v1/item_types":             docBody("Item types", nil, []domain.ItemType{}),
	"PUT /api/v1/item_types/{id}":        docBody("Add or change an item type", domain.ItemType{}, domain.ItemType{}),

	"GET /api/v1/patrons":                        docBody("Find patrons by card number or name", nil, []domain.Patron{}),
	"POST /api/v1/patrons":                       docBody("Register a patron", domain.NewPatron{}, domain.Patron{}),
	"GET /api/v1/patrons/{id}":                   docBody("One patron", nil, domain.Patron{}),
	"PATCH /api/v1/patrons/{id}":                 docBody("Change a patron's fields", domain.PatronUpdate{}, domain.Patron{}),
	"GET /api/v1/patrons/{id}/status":            docBody("A patron's status: blocks, loans, holds, balance", nil, domain.PatronStatus{}),
	"POST /api/v1/patrons/{id}/verify":           docBody("Verify a self-registered patron into a category", apitype.VerifyRequest{}, domain.Patron{}),
	"POST /api/v1/patrons/{id}/block":            docBody("Block a patron", apitype.BlockRequest{}, domain.Patron{}),
	"DELETE /api/v1/patrons/{id}/block":          docBody("Unblock a patron", nil, domain.Patron{}),
	"POST /api/v1/patrons/{id}/card_renewal":     docBody("Renew a patron's card", nil, domain.Patron{}),
	"POST /api/v1/patrons/{id}/expiry":           docBody("Expire a patron's card now", nil, domain.Patron{}),
	"GET /api/v1/patrons/{id}/checkouts":         docBody("A patron's loans, or their loan history", nil, []domain.Loan{}),
	"GET /api/v1/patrons/{id}/holds":             docBody("A patron's holds", nil, []domain.Hold{}),
	"GET /api/v1/patrons/{id}/account":           docBody("A patron's balance and ledger", nil, domain.Account{}),
	"POST /api/v1/patrons/{id}/account/payments": docBody("Take a payment", domain.PaymentRequest{}, domain.Account{}),
	"POST /api/v1/patrons/{id}/account/waivers":  docBody("Waive fees, with a reason", domain.PaymentRequest{}, domain.Account{}),
	"POST /api/v1/patrons/{id}/account/charges":  docBody("Add a charge", domain.ChargeRequest{}, domain.Account{}),
	"GET /api/v1/fees":                           docBody("A patron's account by patron_id", nil, domain.Account{}),

	"GET /api/v1/biblios":                   docBody("Search the catalogue: works, total and facet counts. A patron's search (app or anonymous API, first page) answers a Stacks-Search-Id header: pass it as from= to GET /api/v1/biblios/{id} when opening a result, so the search counts as successful (insights)", nil, domain.SearchResult{}),
	"GET /api/v1/biblios/{id}/editions":     docBody("Every edition and format of a title's work", nil, []domain.Biblio{}),
	"POST /api/v1/biblios":                  docBody("Add a title", domain.NewBiblio{}, domain.Biblio{}),
	"GET /api/v1/biblios/{id}":              docBody("One title; from= a Stacks-Search-Id counts that search as successful, once", nil, domain.Biblio{}),
	"PUT /api/v1/biblios/{id}":              docBody("Change a title", domain.NewBiblio{}, domain.Biblio{}),
	"POST /api/v1/biblios/import":           doc("Import a batch of MARC records"),
	"GET /api/v1/biblios/{id}/items":        docBody("A title's copies (VuFind getHolding)", nil, []domain.Item{}),
	"GET /api/v1/biblios/{id}/availability": docBody("A title's availability per library (VuFind getStatuses)", nil, domain.Availability{}),
	"GET /api/v1/biblios/{id}/holds":        docBody("A title's hold queue", nil, []domain.Hold{}),

	"GET /api/v1/items":                 docBody("Find copies", nil, []domain.Item{}),
	"POST /api/v1/items":                docBody("Add a copy", domain.NewItem{}, domain.Item{}),
	"GET /api/v1/items/{id}":            docBody("One copy", nil, domain.Item{}),
	"PATCH /api/v1/items/{id}":          docBody("Change a copy", domain.ItemUpdate{}, domain.Item{}),
	"POST /api/v1/items/{id}/lost":      docBody("Declare a copy lost", nil, domain.Item{}),
	"PUT /api/v1/items/{id}/properties": docBody("Set a copy's properties (parts, discs)", apitype.ItemPropertiesRequest{}, domain.Item{}),

	"GET /api/v1/checkouts":               docBody("A patron's loans by patron_id", nil, []domain.Loan{}),
	"POST /api/v1/checkouts":              docBody("Check out", domain.CheckoutRequest{}, domain.Loan{}),
	"GET /api/v1/checkouts/{id}":          docBody("One loan", nil, domain.Loan{}),
	"POST /api/v1/checkouts/{id}/renewal": docBody("Renew a loan", apitype.RenewRequest{}, apitype.Renewal{}),
	"POST /api/v1/checkouts/renewal":      docBody("Renew a loan by barcode", domain.RenewRequest{}, apitype.Renewal{}),
	"POST /api/v1/checkins":               docBody("Check in: what to do with the copy next", domain.CheckinRequest{}, domain.CheckinResult{}),

	// Receipt printing (printing.go).
	"POST /api/v1/patrons/{id}/receipt":      docBody("Print a receipt for the patron: today's loans here (kind checkout), returns (checkin), welcome, handoff, an event ticket (ticket, with registration_id)", apitype.ReceiptRequest{}, apitype.PrintJob{}),
	"GET /api/v1/printing/jobs":              docBody("The print spool's jobs, newest first, with their states", nil, []apitype.PrintJob{}),
	"GET /api/v1/printing/printers":          docBody("The branch's receipt printers and their last status", nil, []apitype.Printer{}),
	"POST /api/v1/printing/jobs/{id}/cancel": docBody("Cancel a print job not yet printed", nil, apitype.PrintJob{}),
	"POST /api/v1/printing/jobs/{id}/move":   docBody("Send a print job to another printer (a finished one prints again there)", apitype.PrintMove{}, apitype.PrintJob{}),
	"POST /api/v1/printing/jobs/{id}/retry":  docBody("Try a waiting print job again now", nil, apitype.PrintJob{}),

	"GET /api/v1/holds":         docBody("Holds by patron or title", nil, []domain.Hold{}),
	"POST /api/v1/holds":        docBody("Place a hold; from= a Stacks-Search-Id counts that search as successful, once", domain.HoldRequest{}, domain.Hold{}),
	"GET /api/v1/holds/shelf":   docBody("The hold shelf: ready, to clear, to pull, incoming", nil, domain.HoldShelf{}),
	"POST /api/v1/holds/expire": docBody("Expire holds past their shelf date", nil, []domain.Hold{}),
	"GET /api/v1/holds/{id}":    docBody("One hold", nil, domain.Hold{}),
	"DELETE /api/v1/holds/{id}": docBody("Cancel a hold", nil, domain.Hold{}),

	"GET /api/v1/events":                                         docBody("Events by library_id, audience and from/to (dates or RFC 3339)", nil, []domain.Event{}),
	"POST /api/v1/events":                                        docBody("Create an event", domain.NewEvent{}, domain.Event{}),
	"GET /api/v1/events/{id}":                                    docBody("One event with its seats and attendance", nil, domain.Event{}),
	"PUT /api/v1/events/{id}":                                    docBody("Change an event (and its capacity)", domain.NewEvent{}, domain.Event{}),
	"DELETE /api/v1/events/{id}":                                 docBody("Cancel an event", nil, domain.Event{}),
	"GET /api/v1/events/{id}/registrations":                      docBody("An event's registrations and waitlist", nil, []domain.EventRegistration{}),
	"POST /api/v1/events/{id}/registrations":                     docBody("Register a patron (and guests): registered or waitlisted", domain.EventRegistrationRequest{}, domain.EventRegistration{}),
	"DELETE /api/v1/events/{id}/registrations/{registration_id}": docBody("Cancel a registration", nil, domain.EventRegistration{}),
	"POST /api/v1/events/{id}/checkins":                          docBody("Check a ticket in for this event", apitype.EventCheckinRequest{}, domain.EventCheckin{}),
	"POST /api/v1/event_checkins":                                docBody("Check a ticket in for its event", apitype.EventCheckinRequest{}, domain.EventCheckin{}),
	"GET /api/v1/patron/event_registrations":                     docBody("My event registrations and tickets", nil, []domain.EventRegistration{}),
	"POST /api/v1/patron/event_registrations":                    docBody("Register me (and guests) for an event", apitype.PatronEventRegistration{}, domain.EventRegistration{}),
	"DELETE /api/v1/patron/event_registrations/{id}":             docBody("Cancel my registration", nil, domain.EventRegistration{}),

	"GET /api/v1/biblios/{id}/licences":           docBody("A digital title's licences", nil, []domain.Licence{}),
	"POST /api/v1/biblios/{id}/licences":          docBody("Add a licence to a digital title", domain.NewLicence{}, domain.Licence{}),
	"GET /api/v1/biblios/{id}/digital_holds":      docBody("A digital title's hold queue", nil, []domain.DigitalHold{}),
	"POST /api/v1/digital_checkouts":              docBody("Borrow a digital title (decided through central's Raft log)", domain.DigitalRequest{}, domain.DigitalResult{}),
	"GET /api/v1/digital_checkouts/{id}":          docBody("One digital loan", nil, domain.DigitalLoan{}),
	"POST /api/v1/digital_checkouts/{id}/renewal": docBody("Renew a digital loan", domain.DigitalRequest{}, domain.DigitalResult{}),
	"POST /api/v1/digital_checkouts/{id}/return":  docBody("Return a digital loan early", domain.DigitalRequest{}, domain.DigitalResult{}),
	"POST /api/v1/digital_holds":                  docBody("Place a hold on a digital title", domain.DigitalRequest{}, domain.DigitalResult{}),
	"GET /api/v1/digital_holds/{id}":              docBody("One digital hold", nil, domain.DigitalHold{}),
	"DELETE /api/v1/digital_holds/{id}":           docBody("Cancel a digital hold", nil, domain.DigitalResult{}),
	"GET /api/v1/patrons/{id}/digital_holds":      docBody("A patron's digital holds", nil, []domain.DigitalHold{}),

	"GET /api/v1/patrons/{id}/notices":                                       docBody("A patron's notices (status, channel, tracking) and contacts flagged for staff", nil, apitype.PatronNotices{}),
	"DELETE /api/v1/patrons/{id}/contact_flags/{channel}":                    doc("Clear a flagged contact (email or sms) once it is fixed"),
	"POST /api/v1/notices/{key}/resend":                                      docBody("Send a notice again, as a new notice claimed once cluster-wide", nil, domain.Notice{}),
	"GET /api/v1/notices/print":                                              docBody("Notices to post (patrons with no email or phone), with their messages; library_id, since", nil, []notices.PrintItem{}),
	"GET /api/v1/notice_rules/overdue":                                       docBody("The overdue notice rules set (the defaults apply elsewhere)", nil, []domain.OverdueRule{}),
	"PUT /api/v1/notice_rules/overdue":                                       docBody("Set one level of a library and category's overdue rule: delay, template, block", domain.OverdueRule{}, domain.OverdueRule{}),
	"DELETE /api/v1/notice_rules/overdue/{library_id}/{category_id}/{level}": doc("Delete one level of an overdue rule"),

	"GET /api/v1/circulation-rules":           docBody("The circulation rules matrix", nil, []domain.Rule{}),
	"PUT /api/v1/circulation-rules":           docBody("Set a cell of the rules matrix", domain.Rule{}, domain.Rule{}),
	"DELETE /api/v1/circulation-rules":        doc("Delete a cell of the rules matrix"),
	"GET /api/v1/circulation-rules/effective": docBody("The rule that applies to a library, category and item type", nil, domain.Rule{}),
	"GET /api/v1/calendar":                    docBody("Opening hours and closed days", nil, domain.Calendar{}),
	"PUT /api/v1/calendar/hours":              docBody("Set a weekday's opening hours", domain.OpeningHours{}, nil),
	"PUT /api/v1/calendar/closed":             docBody("Set a closed day", domain.ClosedDay{}, nil),

	"GET /api/v1/staff":              doc("Staff accounts"),
	"PUT /api/v1/staff/{username}":   docBody("Add or change a staff account", domain.NewStaff{}, nil),
	"PATCH /api/v1/staff/{username}": docBody("Change a staff account (e.g. deactivate it)", domain.StaffUpdate{}, nil),
	"GET /api/v1/audit":              doc("The audit log, newest first"),

	// Help requests (help.go).
	"POST /api/v1/help_requests":               docBody("Ask for help: a patron with their token; a kiosk with its login (cardnumber of the patron, or anonymous; location); other staff for a patron by cardnumber", apitype.NewHelpRequest{}, apitype.HelpRequestCreated{}),
	"GET /api/v1/help_requests":                docBody("Help requests, oldest first: status (open, claimed, answered, closed, active), library_id (the queue), patron_id", nil, []domain.HelpRequest{}),
	"GET /api/v1/help_requests/stats":          docBody("Help handling per branch and channel: requests, answered, closed, seconds to first response and to close (mean, median); from, to (dates asked)", nil, []domain.HelpStat{}),
	"GET /api/v1/help_requests/{id}":           docBody("A help request and its conversation (staff, or the patron or kiosk that asked)", nil, domain.HelpRequest{}),
	"GET /api/v1/patron/help_requests":         docBody("The patron's own help requests and their conversations", nil, []domain.HelpRequest{}),
	"POST /api/v1/help_requests/{id}/claim":    docBody("Claim a help request of this branch's queue", nil, domain.HelpRequest{}),
	"POST /api/v1/help_requests/{id}/takeover": docBody("Take a help request over, from any branch or staff, to this branch and the caller", nil, domain.HelpRequest{}),
	"POST /api/v1/help_requests/{id}/answers":  docBody("Answer a help request (claims it if unclaimed); the answer reaches the kiosk screen or web page", apitype.HelpText{}, domain.HelpRequest{}),
	"POST /api/v1/help_requests/{id}/replies":  docBody("Reply to the answers, as the patron or kiosk that asked", apitype.HelpText{}, domain.HelpRequest{}),
	"POST /api/v1/help_requests/{id}/close":    docBody("Close a help request (staff, or whoever asked)", nil, domain.HelpRequest{}),

	"POST /api/v1/patron/handoff_codes":          docBody("Make a handoff code (QR and typed) for pickup_holds, pay_at_desk or kiosk_login", apitype.HandoffRequest{}, apitype.HandoffCode{}),
	"POST /api/v1/handoff_codes/redemption":      docBody("Use a handoff code once, at the desk or a kiosk, and do what it carried", apitype.HandoffRedemption{}, apitype.HandoffResult{}),
	"GET /api/v1/patron/profile":                 docBody("The patron's own record (VuFind getMyProfile)", nil, domain.Patron{}),
	"PATCH /api/v1/patron/profile":               docBody("Change own contact details or language", apitype.PatronProfileUpdate{}, domain.Patron{}),
	"GET /api/v1/patron/account":                 docBody("Own loans, holds and charges with totals, as FOLIO's mod-patron account", nil, apitype.PatronAccount{}),
	"GET /api/v1/patron/checkouts":               docBody("Own open loans (VuFind getMyTransactions)", nil, []domain.Loan{}),
	"POST /api/v1/patron/checkouts/{id}/renewal": docBody("Renew one own loan", nil, apitype.Renewal{}),
	"POST /api/v1/patron/checkouts/renewal":      docBody("Renew some or all own loans, each with its outcome (VuFind renewMyItems)", apitype.PatronRenewAllRequest{}, []apitype.PatronRenewal{}),
	"GET /api/v1/patron/holds":                   docBody("Own holds (VuFind getMyHolds)", nil, []domain.Hold{}),
	"POST /api/v1/patron/holds":                  docBody("Place a hold for oneself (VuFind placeHold)", apitype.PatronHoldRequest{}, domain.Hold{}),
	"PATCH /api/v1/patron/holds/{id}":            docBody("Suspend, resume or change the pickup of an own hold (VuFind updateHolds)", apitype.PatronHoldUpdate{}, domain.Hold{}),
	"DELETE /api/v1/patron/holds/{id}":           docBody("Cancel an own hold (VuFind cancelHolds)", nil, domain.Hold{}),
	"GET /api/v1/patron/charges":                 docBody("Own unpaid charges (VuFind getMyFines)", nil, []domain.FeeLine{}),
	"POST /api/v1/patron/payments":               docBody("Start an online payment of chosen (or all) own charges, idempotent by the Idempotency-Key header: the payment's id and the provider's redirect URL", apitype.PatronPaymentRequest{}, apitype.PatronPayment{}),
	"GET /api/v1/patron/payments/{id}":           docBody("An own online payment's status, brought up to date with the provider", nil, apitype.PatronPayment{}),
	"GET /api/v1/patrons/{id}/export":            docBody("Everything held about a patron (GDPR 15, 20): record, loans, holds, fees, notices, preferences, digital loans, handoff codes, sessions, audit log; download=1 as a file", nil, map[string]any{}),
	"POST /api/v1/patrons/{id}/erasure":          docBody("Erase a patron (GDPR 17) on every replica and in every op log; refused while they hold items or owe money", apitype.ErasureRequest{}, apitype.Erasure{}),
	"GET /api/v1/privacy/retention":              docBody("Loan history retention per patron category (at_return, after_days, keep)", nil, []apitype.Retention{}),
	"PUT /api/v1/privacy/retention/{category}":   docBody("Set a category's loan history retention ('*': the default)", apitype.Retention{}, apitype.Retention{}),
	"GET /api/v1/patron/privacy":                 docBody("What is kept about the patron and for how long, and their reading history choice", nil, apitype.PrivacySummary{}),
	"GET /api/v1/patron/export":                  docBody("Own data export (as GET /api/v1/patrons/{id}/export); download=1 as a file", nil, map[string]any{}),
	"GET /api/v1/patron/reading_history":         docBody("Own reading history, JSON or format=csv (VuFind getMyTransactionHistory)", nil, domain.ReadingHistory{}),
	"PUT /api/v1/patron/reading_history":         docBody("Turn own reading history on or off (off by default)", apitype.ReadingHistorySetting{}, domain.ReadingHistory{}),
	"DELETE /api/v1/patron/reading_history":      doc("Delete own reading history so far"),
	"GET /api/v1/patron/messaging_preferences":   docBody("Own messaging preferences", nil, domain.MessagingPrefs{}),
	"PUT /api/v1/patron/messaging_preferences":   docBody("Set own messaging preferences: notices, email or sms, digest, days in advance", domain.MessagingPrefs{}, domain.MessagingPrefs{}),
	"GET /api/v1/patron/pickup_locations":        docBody("Libraries a hold may be picked up at (VuFind getPickUpLocations)", nil, []apitype.PickupLocation{}),

	"POST /api/v1/feedback":                        docBody("Answer a survey (score 1-5, nps 0-10, comment; anonymous or named) with a patron token or a kiosk login", apitype.FeedbackRequest{}, domain.FeedbackAnswer{}),
	"GET /api/v1/feedback":                         docBody("Recent answers, newest first, with staff replies", nil, []domain.FeedbackAnswer{}),
	"GET /api/v1/feedback/results":                 docBody("NPS, CSAT and response rate per branch, channel and ISO week", nil, []domain.FeedbackResult{}),
	"POST /api/v1/feedback/invitations":            docBody("Invite a patron to a survey after a transaction (at most once per N days, while it stands)", apitype.FeedbackInviteRequest{}, apitype.FeedbackInvited{}),
	"POST /api/v1/feedback/invitations/{id}/close": docBody("Take up or decline an invitation (the patron's token, or a kiosk with the card)", apitype.FeedbackClose{}, nil),
	"POST /api/v1/feedback/{id}/replies":           docBody("Reply to a named answer; the patron reads it in their account", apitype.FeedbackReplyRequest{}, domain.FeedbackReply{}),
	"GET /api/v1/patron/feedback":                  docBody("Own open survey invitations and named answers with staff replies", nil, apitype.PatronFeedback{}),
	"GET /api/v1/you_said_we_did":                  docBody("The published \"you said, we did\" entries (en, fi)", nil, []domain.YouSaidWeDid{}),
	"GET /api/v1/feedback/you_said_we_did":         docBody("Every \"you said, we did\" entry, drafts too", nil, []domain.YouSaidWeDid{}),
	"POST /api/v1/feedback/you_said_we_did":        docBody("Add a \"you said, we did\" entry", domain.YouSaidWeDid{}, domain.YouSaidWeDid{}),
	"PUT /api/v1/feedback/you_said_we_did/{id}":    docBody("Replace a \"you said, we did\" entry (publish it with published: true)", domain.YouSaidWeDid{}, domain.YouSaidWeDid{}),
	"DELETE /api/v1/feedback/you_said_we_did/{id}": doc("Delete a \"you said, we did\" entry"),
	// Recommendations (recommend.go).
	"GET /api/v1/biblios/{id}/recommendations": docBody("Patrons who borrowed this also borrowed: titles shared by at least 5 patrons, limit=1..50", nil, domain.Recommendations{}),
	"GET /api/v1/patron/recommendations":       docBody("Own suggestions from what one borrowed, popular titles to fill; only when turned on", nil, domain.Recommendations{}),
	"GET /api/v1/patron/suggestions":           docBody("Whether own suggestions are on (off by default)", nil, apitype.SuggestionsSetting{}),
	"PUT /api/v1/patron/suggestions":           docBody("Turn own suggestions on or off", apitype.SuggestionsSetting{}, apitype.SuggestionsSetting{}),
}

// openAPI builds the document from the registered routes.
func (a *API) openAPI() map[string]any {
	paths := map[string]map[string]any{}
	for _, pattern := range a.patterns {
		method, path, _ := strings.Cut(pattern, " ")
		d := routeDocs[pattern]
		acc := routeAccess[pattern]
		op := map[string]any{
			"operationId": operationID(method, path),
			"summary":     d.summary,
			"tags":        []string{tagOf(path)},
			"responses":   responses(method, d.resp, acc.public),
		}
		var params []any
		for _, name := range pathParams(path) {
			params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, name := range a.params[pattern] {
			params = append(params, map[string]any{"name": name, "in": "query", "required": false, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if method == "POST" || method == "PUT" || method == "PATCH" {
			op["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": schemaOf(d.req)}}}
		}
		switch {
		case acc.public:
			op["security"] = []any{}
		case acc.self:
			op["security"] = []any{map[string]any{"patronToken": []string{}}}
			op["x-stacks-access"] = "the patron's own account, by their patron token"
		default:
			op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"basic": []string{}}}
			who := "any logged-in caller"
			if acc.perm != "" {
				who = "staff with permission " + string(acc.perm)
			}
			if acc.owner != nil {
				who += "; a patron for their own account"
			}
			op["x-stacks-access"] = who
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Stacks API",
			"version": "1",
			"description": "The staff, kiosk and patron API of a Stacks node. Errors are application/problem+json " +
				"with a stable code. The patron API under /api/v1/patron is self-scoped by the patron's token.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer":      map[string]any{"type": "http", "scheme": "bearer", "description": "A staff or patron token from /api/v1/auth/login or /api/v1/auth/patron"},
				"patronToken": map[string]any{"type": "http", "scheme": "bearer", "description": "A patron token from /api/v1/auth/patron"},
				"basic":       map[string]any{"type": "http", "scheme": "basic", "description": "A staff login"},
			},
			"schemas": map[string]any{"Problem": schemaOf(apitype.Problem{})},
		},
	}
}

func (a *API) serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, a.openAPI())
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

func pathParams(path string) []string {
	var out []string
	for _, m := range pathParamRE.FindAllStringSubmatch(path, -1) {
		out = append(out, m[1])
	}
	return out
}

// operationID is e.g. get_api_v1_patron_holds_id.
func operationID(method, path string) string {
	r := strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_")
	return strings.ToLower(method) + r.Replace(path)
}

// tagOf groups a route by its first segment after /api/v1.
func tagOf(path string) string {
	rest, ok := strings.CutPrefix(path, "/api/v1/")
	if !ok {
		return "node"
	}
	seg, _, _ := strings.Cut(rest, "/")
	return strings.TrimSuffix(seg, ".json")
}

func responses(method string, resp any, public bool) map[string]any {
	ok := "200"
	if method != "GET" {
		ok = "2XX"
	}
	problem := map[string]any{"description": "A refusal", "content": map[string]any{
		"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
	out := map[string]any{
		ok:        map[string]any{"description": "Success", "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(resp)}}},
		"4XX":     problem,
		"default": problem,
	}
	if !public {
		out["401"] = map[string]any{"description": "Not logged in", "content": problem["content"]}
		out["403"] = map[string]any{"description": "Not permitted", "content": problem["content"]}
	}
	return out
}

// schemaOf is the JSON Schema of v's type, from its json tags.
func schemaOf(v any) map[string]any {
	if v == nil {
		return map[string]any{"type": "object"}
	}
	return schemaOfType(reflect.TypeOf(v), 0)
}

var timeType = reflect.TypeOf(time.Time{})

func schemaOfType(t reflect.Type, depth int) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOfType(t.Elem(), depth+1)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOfType(t.Elem(), depth+1)}
	case reflect.Struct:
		if depth > 6 {
			return map[string]any{"type": "object"}
		}
		props := map[string]any{}
		addFields(t, props, depth)
		return map[string]any{"type": "object", "properties": props}
	}
	return map[string]any{}
}

// addFields adds t's JSON fields, embedded structs' included, to props.
func addFields(t reflect.Type, props map[string]any, depth int) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(ft, props, depth)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOfType(f.Type, depth+1)
	}
}
