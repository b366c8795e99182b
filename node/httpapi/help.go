package httpapi

import (
	"net/http"

	"stacks/branch/domain"
	"stacks/branch/help"
	"stacks/node/apitype"
)

// Help requests (branch/help): patrons (by token) and kiosks (by their
// login, with the patron's card or none) ask; staff with PermHelp list,
// claim, answer, take over and close; whoever asked reads the request
// and its answers, replies and may close it.

type helpAPI struct {
	*API
	h *help.Service
}

func (a *API) helpRoutes() {
	x := helpAPI{API: a, h: a.help}
	a.handle("POST /api/v1/help_requests", x.ask)
	a.handle("GET /api/v1/help_requests", x.list, "status", "library_id", "patron_id")
	a.handle("GET /api/v1/help_requests/stats", x.stats, "from", "to")
	a.handle("GET /api/v1/help_requests/{id}", x.get)
	a.handle("GET /api/v1/patron/help_requests", x.mine)
	a.handle("POST /api/v1/help_requests/{id}/claim", x.claim)
	a.handle("POST /api/v1/help_requests/{id}/takeover", x.takeOver)
	a.handle("POST /api/v1/help_requests/{id}/answers", x.answer)
	a.handle("POST /api/v1/help_requests/{id}/replies", x.reply)
	a.handle("POST /api/v1/help_requests/{id}/close", x.close)
}

var errHelpAsker = &forbidden{perm: domain.PermHelp, detail: "Only the patron or kiosk that asked, or staff of the help queue, may do this."}

func (x helpAPI) ask(w http.ResponseWriter, r *http.Request) error {
	var req apitype.NewHelpRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	who := callerFrom(r)
	a := help.Ask{Message: req.Message, Channel: req.Channel, Location: req.Location}
	switch {
	case who.kind == kindPatron:
		if req.Cardnumber != "" {
			return badRequest("A patron asks with their own token; cardnumber is for kiosks.")
		}
		if a.Channel == "" {
			a.Channel = string(domain.ChannelApp)
		}
		if a.Channel == string(domain.ChannelKiosk) {
			return badRequest("A patron's token asks through web, app or api; a kiosk asks with its own login.")
		}
		a.PatronID = who.subject
	default:
		// A kiosk asks for whoever stands at it; other staff (a phone
		// call) ask for a patron named by card.
		kiosk := who.role == domain.RoleKiosk
		if a.Channel == "" && kiosk {
			a.Channel = string(domain.ChannelKiosk)
		} else if a.Channel == "" {
			a.Channel = string(domain.ChannelAPI)
		}
		if (a.Channel == string(domain.ChannelKiosk)) != kiosk {
			return badRequest("The kiosk channel is for a kiosk's own login.")
		}
		if kiosk && a.Location == "" {
			a.Location = who.subject
		}
		if req.Cardnumber != "" {
			p, err := x.svc.PatronByCard(r.Context(), req.Cardnumber)
			if err != nil {
				return err
			}
			a.PatronID = p.PatronID
		}
	}
	id, err := x.h.Open(r.Context(), a)
	if err != nil {
		return err
	}
	hr, _, err := x.h.Request(r.Context(), id)
	if err != nil {
		return err
	}
	noteSubject(r.Context(), a.PatronID, "")
	return created(w, "/api/v1/help_requests/"+id, apitype.HelpRequestCreated{RequestID: id, BranchID: hr.BranchID, Status: hr.Status})
}

func (x helpAPI) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	rs, err := x.h.List(r.Context(), help.Filter{Status: q.Get("status"), BranchID: q.Get("library_id"), PatronID: q.Get("patron_id")})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rs)
}

// mine lists the calling patron's own requests.
func (x helpAPI) mine(w http.ResponseWriter, r *http.Request) error {
	rs, err := x.h.List(r.Context(), help.Filter{PatronID: me(r)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rs)
}

func (x helpAPI) stats(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	for _, d := range []string{from, to} {
		if d != "" && !validDate(d) {
			return badRequest("from and to are dates, YYYY-MM-DD.")
		}
	}
	if to != "" {
		to += "T99" // the whole day: stamps of that day sort before it
	}
	st, err := x.h.Stats(r.Context(), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func validDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	for i, c := range s {
		if (i == 4 || i == 7) != (c == '-') || (c != '-' && (c < '0' || c > '9')) {
			return false
		}
	}
	return true
}

// mayRead reports whether the caller may read and reply to the request:
// staff of the queue, or whoever asked it.
func (x helpAPI) mayRead(r *http.Request, hr *domain.HelpRequest, asker string) bool {
	who := callerFrom(r)
	switch {
	case who.kind == kindPatron:
		return hr.PatronID == who.subject || asker == patronActorID(who.subject)
	case who.role == domain.RoleKiosk:
		return asker == who.subject
	}
	return domain.Can(who.role, domain.PermHelp)
}

func (x helpAPI) load(r *http.Request) (*domain.HelpRequest, error) {
	hr, asker, err := x.h.Request(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !x.mayRead(r, hr, asker) {
		return nil, errHelpAsker
	}
	noteSubject(r.Context(), hr.PatronID, "")
	return hr, nil
}

func (x helpAPI) get(w http.ResponseWriter, r *http.Request) error {
	hr, err := x.load(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, hr)
}

// respond answers the request as it now is.
func (x helpAPI) respond(w http.ResponseWriter, r *http.Request, err error) error {
	if err != nil {
		return err
	}
	hr, _, err := x.h.Request(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, hr)
}

func (x helpAPI) claim(w http.ResponseWriter, r *http.Request) error {
	return x.respond(w, r, x.h.Claim(r.Context(), r.PathValue("id")))
}

func (x helpAPI) takeOver(w http.ResponseWriter, r *http.Request) error {
	return x.respond(w, r, x.h.TakeOver(r.Context(), r.PathValue("id")))
}

func (x helpAPI) answer(w http.ResponseWriter, r *http.Request) error {
	var req apitype.HelpText
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	return x.respond(w, r, x.h.Answer(r.Context(), r.PathValue("id"), req.Text))
}

func (x helpAPI) reply(w http.ResponseWriter, r *http.Request) error {
	var req apitype.HelpText
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	hr, err := x.load(r)
	if err != nil {
		return err
	}
	if callerFrom(r).kind != kindPatron && callerFrom(r).role != domain.RoleKiosk {
		return badRequest("Staff answer with POST /api/v1/help_requests/{id}/answers.")
	}
	return x.respond(w, r, x.h.Reply(r.Context(), hr.RequestID, req.Text))
}

func (x helpAPI) close(w http.ResponseWriter, r *http.Request) error {
	if _, err := x.load(r); err != nil {
		return err
	}
	return x.respond(w, r, x.h.Close(r.Context(), r.PathValue("id")))
}
