package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"

	"stacks/branch/domain"
)

// Events is what the events pages need of branch/events (node hands them
// its service).
type Events interface {
	Events(ctx context.Context, f domain.EventFilter) ([]*domain.Event, error)
	Event(ctx context.Context, id string) (*domain.Event, error)
	PatronRegistrations(ctx context.Context, patronID string, all bool) ([]*domain.EventRegistration, error)
	Register(ctx context.Context, eventID string, req domain.EventRegistrationRequest, lang string) (*domain.EventRegistration, error)
	Unregister(ctx context.Context, eventID, regID string) (*domain.EventRegistration, error)
}

// Events on the web: a list and a month calendar of events, filtered by
// branch and audience (GET forms, no script); an event's page, where a
// logged-in patron registers themselves and the people coming with them,
// or cancels; and "My tickets" in the account, each ticket as a QR code to
// scan at the desk or the kiosk, and as text.

type eventRow struct {
	E                *domain.Event
	When, Day, Until string
	Library          string
}

type calDay struct {
	Day    int
	Events []eventRow
}

type eventsData struct {
	Rows              []eventRow
	Libraries         []domain.Library
	Library, Audience string
	Month, Prev, Next string
	MonthName         string
	Weeks             [][]*calDay
	Weekdays          []string
	Audiences         []string
	Reg               *domain.EventRegistration // the patron's on an event page
	Event             *eventRow
	Tickets           []ticketRow
}

type ticketRow struct {
	R   *domain.EventRegistration
	Row eventRow
	QR  template.HTML
}

var eventAudiences = []string{"children", "teens", "adults", "all"}

func (s *Server) registerEvents(h func(pattern string, f func(w http.ResponseWriter, r *http.Request, rq *request))) {
	if s.cfg.Events == nil {
		return
	}
	h("GET /events", s.eventsPage)
	h("GET /events/{id}", s.eventPage)
	h("POST /events/{id}/register", s.registerEvent)
	h("POST /events/{id}/cancel", s.cancelEventRegistration)
	h("GET /account/events", s.myTickets)
}

func (s *Server) row(rq *request, e *domain.Event) eventRow {
	loc := s.lib.Now().Location()
	r := eventRow{E: e, Library: e.LibraryID}
	if st, err := time.Parse(time.RFC3339, e.Start); err == nil {
		st = st.In(loc)
		r.Day = rq.p.Date(st.Format(domain.DateLayout))
		r.When = st.Format("15:04")
	}
	if en, err := time.Parse(time.RFC3339, e.End); err == nil {
		r.Until = en.In(loc).Format("15:04")
	}
	if ls, err := s.lib.Libraries(rq.ctx); err == nil {
		for _, l := range ls {
			if l.BranchID == e.LibraryID && l.Name != "" {
				r.Library = l.Name
			}
		}
	}
	return r
}

func (s *Server) eventsPage(w http.ResponseWriter, r *http.Request, rq *request) {
	q := r.URL.Query()
	loc := s.lib.Now().Location()
	now := s.lib.Now()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	if m, err := time.ParseInLocation("2006-01", q.Get("month"), loc); err == nil {
		month = m
	}
	d := &eventsData{Library: q.Get("library"), Audience: q.Get("audience"), Audiences: eventAudiences, Weekdays: []string{"1", "2", "3", "4", "5", "6", "7"},
		Month: month.Format("2006-01"), Prev: month.AddDate(0, -1, 0).Format("2006-01"), Next: month.AddDate(0, 1, 0).Format("2006-01"),
		MonthName: rq.p.T("events.month."+strconv.Itoa(int(month.Month()))) + " " + strconv.Itoa(month.Year())}
	if ls, err := s.lib.Libraries(rq.ctx); err == nil {
		d.Libraries = ls
	}
	from := month
	if q.Get("month") == "" {
		from = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	}
	es, err := s.cfg.Events.Events(rq.ctx, domain.EventFilter{LibraryID: d.Library, Audience: d.Audience,
		From: from.UTC().Format(time.RFC3339), To: month.AddDate(0, 1, 0).UTC().Format(time.RFC3339)})
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	byDay := map[int][]eventRow{}
	for _, e := range es {
		row := s.row(rq, e)
		d.Rows = append(d.Rows, row)
		if st, err := time.Parse(time.RFC3339, e.Start); err == nil {
			byDay[st.In(loc).Day()] = append(byDay[st.In(loc).Day()], row)
		}
	}
	// The month's weeks, Monday first.
	lead := (int(month.Weekday()) + 6) % 7
	days := month.AddDate(0, 1, -1).Day()
	var week []*calDay
	for i := 0; i < lead; i++ {
		week = append(week, nil)
	}
	for day := 1; day <= days; day++ {
		week = append(week, &calDay{Day: day, Events: byDay[day]})
		if len(week) == 7 {
			d.Weeks, week = append(d.Weeks, week), nil
		}
	}
	if len(week) > 0 {
		for len(week) < 7 {
			week = append(week, nil)
		}
		d.Weeks = append(d.Weeks, week)
	}
	s.render(w, r, rq, http.StatusOK, "events", rq.p.T("events.title"), d, nil, nil)
}

func (s *Server) eventPage(w http.ResponseWriter, r *http.Request, rq *request) {
	s.showEvent(w, r, rq, r.PathValue("id"), http.StatusOK, nil, nil)
}

func (s *Server) showEvent(w http.ResponseWriter, r *http.Request, rq *request, id string, status int, notices, problems []string) {
	e, err := s.cfg.Events.Event(rq.ctx, id)
	if err != nil {
		s.fail(w, r, rq, http.StatusNotFound, rq.p.T("events.not_found"))
		return
	}
	row := s.row(rq, e)
	d := &eventsData{Event: &row}
	if rq.patron != nil {
		if rs, err := s.cfg.Events.PatronRegistrations(rq.ctx, rq.patron.PatronID, false); err == nil {
			for _, reg := range rs {
				if reg.EventID == id {
					d.Reg = reg
				}
			}
		}
	}
	s.render(w, r, rq, status, "event", e.Title, d, notices, problems)
}

// eventRefusal is a refusal of events in the patron's words: events
// writes its refusals in the language asked for.
func (s *Server) eventRefusal(rq *request, err error) ([]string, bool) {
	var e *domain.Error
	if !errors.As(err, &e) {
		return nil, false
	}
	if e.Code == domain.CodeInvalid || e.Code == domain.CodeNotPermitted {
		return []string{e.Message}, true
	}
	return rq.p.Refusal(err), true
}

func (s *Server) registerEvent(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	id := r.PathValue("id")
	var guests []string
	for _, g := range strings.Split(r.PostForm.Get("guests"), "\n") {
		if g = strings.TrimSpace(g); g != "" {
			guests = append(guests, g)
		}
	}
	count := 0
	if c := strings.TrimSpace(r.PostForm.Get("guest_count")); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 || n >= domain.MaxEventParty {
			s.showEvent(w, r, rq, id, http.StatusUnprocessableEntity, nil, []string{rq.p.T("events.bad_count", domain.MaxEventParty-1)})
			return
		}
		count = n
	}
	reg, err := s.cfg.Events.Register(rq.ctx, id, domain.EventRegistrationRequest{PatronID: rq.patron.PatronID, Guests: guests, GuestCount: count}, rq.p.lang)
	if err != nil {
		if p, ok := s.eventRefusal(rq, err); ok {
			s.showEvent(w, r, rq, id, http.StatusUnprocessableEntity, nil, p)
			return
		}
		s.failErr(w, r, rq, err)
		return
	}
	s.showEvent(w, r, rq, id, http.StatusOK, []string{reg.Message}, nil)
}

func (s *Server) cancelEventRegistration(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	id := r.PathValue("id")
	rs, err := s.cfg.Events.PatronRegistrations(rq.ctx, rq.patron.PatronID, false)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	for _, reg := range rs {
		if reg.EventID == id {
			if _, err := s.cfg.Events.Unregister(rq.ctx, id, reg.RegistrationID); err != nil {
				s.failErr(w, r, rq, err)
				return
			}
			s.showEvent(w, r, rq, id, http.StatusOK, []string{rq.p.T("events.cancelled")}, nil)
			return
		}
	}
	s.showEvent(w, r, rq, id, http.StatusNotFound, nil, []string{rq.p.T("events.not_registered")})
}

func (s *Server) myTickets(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	rs, err := s.cfg.Events.PatronRegistrations(rq.ctx, rq.patron.PatronID, false)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	d := &eventsData{}
	for _, reg := range rs {
		t := ticketRow{R: reg, Row: s.row(rq, reg.Event)}
		if reg.Status == domain.EventRegistered {
			if q, err := qr.Encode(reg.Ticket, qr.M, qr.Auto); err == nil {
				t.QR = barcodeSVG(q, 4, 1, 0, rq.p.T("events.qr_label", reg.Event.Title))
			}
		}
		d.Tickets = append(d.Tickets, t)
	}
	s.render(w, r, rq, http.StatusOK, "tickets", rq.p.T("events.tickets"), d, nil, nil)
}
