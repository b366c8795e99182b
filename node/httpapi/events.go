package httpapi

import (
	"net/http"
	"net/url"

	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/node/apitype"
)

// Events and programmes (branch/events): staff create, edit and cancel
// events; anyone lists them; staff (desk, kiosk) and patrons (their own)
// register and cancel; a ticket is checked in once. A registration is
// answered registered or waitlisted; a waitlisted one carries a message in
// the caller's language (Accept-Language) saying whether the event may
// still have seats elsewhere.

func (a *API) eventsRoutes() {
	a.handle("GET /api/v1/events", a.listEvents, "library_id", "from", "to", "audience")
	a.handle("POST /api/v1/events", a.createEvent)
	a.handle("GET /api/v1/events/{id}", a.getEvent)
	a.handle("PUT /api/v1/events/{id}", a.editEvent)
	a.handle("DELETE /api/v1/events/{id}", a.cancelEvent)
	a.handle("GET /api/v1/events/{id}/registrations", a.eventRegistrations)
	a.handle("POST /api/v1/events/{id}/registrations", a.registerForEvent)
	a.handle("DELETE /api/v1/events/{id}/registrations/{registration_id}", a.unregisterFromEvent)
	a.handle("POST /api/v1/events/{id}/checkins", a.eventCheckin)
	a.handle("POST /api/v1/event_checkins", a.ticketCheckin)
	a.handle("GET /api/v1/patron/event_registrations", a.myEventRegistrations)
	a.handle("POST /api/v1/patron/event_registrations", a.registerMe)
	a.handle("DELETE /api/v1/patron/event_registrations/{id}", a.unregisterMe)
}

func (a *API) listEvents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err := a.events.Bound(q.Get("from"))
	if err != nil {
		return err
	}
	to, err := a.events.Bound(q.Get("to"))
	if err != nil {
		return err
	}
	es, err := a.events.Events(r.Context(), events.Filter{LibraryID: q.Get("library_id"), Audience: q.Get("audience"), From: from, To: to})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, es)
}

func (a *API) createEvent(w http.ResponseWriter, r *http.Request) error {
	var ne domain.NewEvent
	if err := decodeBody(r, &ne, false); err != nil {
		return err
	}
	e, err := a.events.Create(r.Context(), ne)
	if err != nil {
		return err
	}
	return created(w, "/api/v1/events/"+url.PathEscape(e.EventID), e)
}

func (a *API) getEvent(w http.ResponseWriter, r *http.Request) error {
	e, err := a.events.Event(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

func (a *API) editEvent(w http.ResponseWriter, r *http.Request) error {
	var ne domain.NewEvent
	if err := decodeBody(r, &ne, false); err != nil {
		return err
	}
	e, err := a.events.Edit(r.Context(), r.PathValue("id"), ne)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

func (a *API) cancelEvent(w http.ResponseWriter, r *http.Request) error {
	e, err := a.events.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

func (a *API) eventRegistrations(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.events.Registrations(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rs)
}

func (a *API) registerForEvent(w http.ResponseWriter, r *http.Request) error {
	var req domain.EventRegistrationRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if who := callerFrom(r); who.kind == kindPatron {
		req.PatronID, req.Cardnumber = who.subject, ""
	}
	noteSubject(r.Context(), req.PatronID, "")
	reg, err := a.events.Register(r.Context(), r.PathValue("id"), req, events.Lang(r.Header.Get("Accept-Language")))
	if err != nil {
		return err
	}
	noteSubject(r.Context(), reg.PatronID, "")
	return created(w, "/api/v1/events/"+url.PathEscape(reg.EventID)+"/registrations/"+url.PathEscape(reg.RegistrationID), reg)
}

func (a *API) unregisterFromEvent(w http.ResponseWriter, r *http.Request) error {
	reg, err := a.events.Unregister(r.Context(), r.PathValue("id"), r.PathValue("registration_id"))
	if err != nil {
		return err
	}
	noteSubject(r.Context(), reg.PatronID, "")
	return writeJSON(w, http.StatusOK, reg)
}

func (a *API) eventCheckin(w http.ResponseWriter, r *http.Request) error {
	var req apitype.EventCheckinRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	c, err := a.events.Checkin(r.Context(), r.PathValue("id"), req.Ticket)
	if err != nil {
		return err
	}
	noteSubject(r.Context(), c.Registration.PatronID, "")
	return writeJSON(w, http.StatusOK, c)
}

// ticketCheckin checks a ticket in for whichever event it is for (a desk
// or kiosk scanner that does not know the event).
func (a *API) ticketCheckin(w http.ResponseWriter, r *http.Request) error {
	var req apitype.EventCheckinRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	c, err := a.events.Checkin(r.Context(), "", req.Ticket)
	if err != nil {
		return err
	}
	noteSubject(r.Context(), c.Registration.PatronID, "")
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) myEventRegistrations(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.events.PatronRegistrations(r.Context(), me(r), false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rs)
}

func (a *API) registerMe(w http.ResponseWriter, r *http.Request) error {
	var req apitype.PatronEventRegistration
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.EventID == "" {
		return domain.Invalid("Name the event (event_id).")
	}
	reg, err := a.events.Register(r.Context(), req.EventID, domain.EventRegistrationRequest{PatronID: me(r), Guests: req.Guests, GuestCount: req.GuestCount},
		events.Lang(r.Header.Get("Accept-Language")))
	if err != nil {
		return err
	}
	return created(w, "/api/v1/patron/event_registrations/"+url.PathEscape(reg.RegistrationID), reg)
}

func (a *API) unregisterMe(w http.ResponseWriter, r *http.Request) error {
	reg, err := a.events.Registration(r.Context(), r.PathValue("id"))
	if err != nil || reg.PatronID != me(r) {
		return domain.Fail(domain.CodeNotFound, "No event registration of yours with id %s.", r.PathValue("id"))
	}
	reg, err = a.events.Unregister(r.Context(), reg.EventID, reg.RegistrationID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, reg)
}

// ownRegistration: the registration {registration_id} is the patron's.
func ownRegistration(a *API, r *http.Request, patronID string) (bool, error) {
	reg, err := a.events.Registration(r.Context(), r.PathValue("registration_id"))
	if err != nil {
		return false, err
	}
	return reg.PatronID == patronID, nil
}
