package events

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// Remote is the central site, asked for seats when this node has none
// left (Decide answers the encoded reply and the ops the decision
// emitted, for this node to integrate at once). An error means central
// could not be reached: the patron is waitlisted and told so plainly.
type Remote interface {
	Decide(ctx context.Context, request []byte) (reply []byte, ops []replicate.Op, err error)
}

// Config configures a Service.
type Config struct {
	// Remote is the central site; nil on a standalone appliance, whose
	// own account then holds every new event's seats.
	Remote Remote
	// Central: this node is a central node, whose commands that take
	// seats all go through Remote (central's Raft log), from the Central
	// account; the three central nodes share one origin, so none of them
	// may take seats on its own.
	Central bool
	// Batch is how many seats more than a registration needs a branch
	// asks central for, so that it can go on confirming seats when cut
	// off (0: DefaultBatch).
	Batch int
	// Rand is where IDs and tickets come from (nil: crypto/rand).
	Rand io.Reader
	// PlantOversell is a planted bug for the simulation to catch: a node
	// confirms a seat without checking its balance.
	PlantOversell bool
}

// DefaultBatch is the seats a branch asks central for beyond its need.
const DefaultBatch = 2

// Service is events over a branch service.
type Service struct {
	svc *branch.Service
	cfg Config
	// account is this node's seat account: its origin, or Central.
	account string
	// feedback invites a patron checked in to a survey (SetFeedback).
	feedback atomic.Pointer[Inviter]
}

// Inviter invites a patron to a survey after a transaction
// (branch/feedback's Service).
type Inviter interface {
	Invite(ctx context.Context, tr domain.FeedbackTrigger) (*domain.FeedbackInvitation, error)
}

// SetFeedback makes every check-in from now on invite the patron to a
// survey about the event (domain.FeedbackEvent, Ref the registration),
// on the channel it was checked in through; the node wires it, and
// registers AttendedStands for the kind with the surveys.
func (s *Service) SetFeedback(f Inviter) { s.feedback.Store(&f) }

// NewService returns events over svc, whose node runs Capability().
func NewService(svc *branch.Service, cfg Config) *Service {
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	acct := svc.Log().Node().String()
	if cfg.Central {
		acct = Central
	}
	return &Service{svc: svc, cfg: cfg, account: acct}
}

// Account is this node's seat account.
func (s *Service) Account() string { return s.account }

func (s *Service) random(n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		panic(fmt.Sprintf("events: randomness failed: %v", err))
	}
	return b
}

func (s *Service) newID() string {
	h := hex.EncodeToString(s.random(16))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// TicketPrefix starts every ticket code, so a scanner (desk, kiosk) tells
// a ticket from a card or a barcode.
const TicketPrefix = "EVT-"

// newTicket is an unguessable ticket code: 128 random bits.
func (s *Service) newTicket() string {
	return TicketPrefix + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(s.random(16))
}

// IsTicket reports whether code looks like a ticket code.
func IsTicket(code string) bool {
	code = strings.ToUpper(strings.TrimSpace(code))
	return strings.HasPrefix(code, TicketPrefix) && len(code) == len(TicketPrefix)+26
}

// stampLayout is how event times are stored: UTC, fixed width, so they sort.
const stampLayout = "2006-01-02T15:04:05Z"

// ParseTime reads an event time: RFC 3339, or a local date and time
// ("2006-01-02T15:04", as a web form sends) in loc.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, domain.Invalid("%q is not a date and time (e.g. 2026-12-24T14:00:00+02:00).", s)
}

func (s *Service) normalise(ne domain.NewEvent) (details, error) {
	loc := s.svc.Now().Location()
	d := details{Title: strings.TrimSpace(ne.Title), Description: strings.TrimSpace(ne.Description),
		Audience: strings.ToLower(strings.TrimSpace(ne.Audience)), LibraryID: strings.TrimSpace(ne.LibraryID),
		Room: strings.TrimSpace(ne.Room), DropIn: ne.DropIn}
	if d.Title == "" || d.LibraryID == "" {
		return d, domain.Invalid("An event needs a title and a library_id.")
	}
	if len(d.Title) > 200 || len(d.Description) > 4000 {
		return d, domain.Invalid("The title (200) or description (4000 characters) is too long.")
	}
	start, err := ParseTime(ne.Start, loc)
	if err != nil {
		return d, err
	}
	end, err := ParseTime(ne.End, loc)
	if err != nil {
		return d, err
	}
	if !end.After(start) {
		return d, domain.Invalid("The event must end after it starts.")
	}
	d.Start, d.End = start.UTC().Format(stampLayout), end.UTC().Format(stampLayout)
	if ne.RegistrationOpens != "" {
		t, err := ParseTime(ne.RegistrationOpens, loc)
		if err != nil {
			return d, err
		}
		d.RegOpens = t.UTC().Format(stampLayout)
	}
	if ne.RegistrationCloses != "" {
		t, err := ParseTime(ne.RegistrationCloses, loc)
		if err != nil {
			return d, err
		}
		d.RegCloses = t.UTC().Format(stampLayout)
	}
	if ne.Capacity < 0 || ne.Capacity > 100000 {
		return d, domain.Invalid("The capacity must be between 0 and 100000.")
	}
	if !d.DropIn && ne.Capacity == 0 {
		return d, domain.Invalid("An event with registration needs a capacity above 0.")
	}
	return d, nil
}

// Create creates an event. Its seats go first to this node's account on a
// standalone appliance, else to central's, from which branches ask.
func (s *Service) Create(ctx context.Context, ne domain.NewEvent) (*domain.Event, error) {
	d, err := s.normalise(ne)
	if err != nil {
		return nil, err
	}
	if _, err := s.svc.Library(ctx, d.LibraryID); err != nil {
		return nil, err
	}
	id := s.newID()
	acct := s.account
	if s.cfg.Remote != nil {
		acct = Central
	}
	err = s.svc.Update(ctx, func(t *branch.Txn) error {
		_, err := t.Emit(ctx, KindCreate, createOp{EventID: id, details: d, Capacity: ne.Capacity, Account: acct, CreatedAt: t.Stamp()})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Event(ctx, id)
}

// Edit changes an event's details (last writer wins) and its capacity:
// more seats go to this node's account; fewer are taken from it, as far
// as its balance allows.
func (s *Service) Edit(ctx context.Context, id string, ne domain.NewEvent) (*domain.Event, error) {
	d, err := s.normalise(ne)
	if err != nil {
		return nil, err
	}
	if s.cfg.Central && ne.Capacity > 0 {
		return nil, domain.Fail(domain.CodeNotPermitted, "Change an event's capacity at a branch, not at a central node.")
	}
	err = s.svc.Update(ctx, func(t *branch.Txn) error {
		if _, err := eventByID(ctx, t, id, ""); err != nil {
			return err
		}
		if _, err := t.Emit(ctx, KindEdit, editOp{EventID: id, details: d}); err != nil {
			return err
		}
		if ne.Capacity == 0 {
			return nil
		}
		c, err := Capacity(ctx, t, id)
		if err != nil {
			return err
		}
		switch delta := ne.Capacity - c; {
		case delta > 0:
			_, err = t.Emit(ctx, KindSeats, seatsOp{EventID: id, To: s.account, Seats: delta})
		case delta < 0:
			bal, berr := Balance(ctx, t, id, s.account)
			if berr != nil {
				return berr
			}
			if bal < -delta {
				return domain.Fail(domain.CodeNotPermitted, "Only %d free seats are held here; the capacity can go down by at most that.", bal)
			}
			_, err = t.Emit(ctx, KindSeats, seatsOp{EventID: id, From: s.account, Seats: -delta})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Event(ctx, id)
}

// Cancel cancels an event; its registrations stand, and the patrons are
// told (notices).
func (s *Service) Cancel(ctx context.Context, id string) (*domain.Event, error) {
	err := s.svc.Update(ctx, func(t *branch.Txn) error {
		e, err := eventByID(ctx, t, id, "")
		if err != nil {
			return err
		}
		if e.Cancelled {
			return nil
		}
		_, err = t.Emit(ctx, KindCancel, cancelOp{EventID: id, CancelledAt: t.Stamp()})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Event(ctx, id)
}

// Event is one event with its counts as this node knows them.
func (s *Service) Event(ctx context.Context, id string) (*domain.Event, error) {
	return eventByID(ctx, s.svc.Read(), id, s.account)
}

// Events lists events.
func (s *Service) Events(ctx context.Context, f Filter) ([]*domain.Event, error) {
	return listEvents(ctx, s.svc.Read(), f, s.account)
}

// Registrations lists an event's registrations: registered first by
// time, then the waitlist in its order, then cancelled ones.
func (s *Service) Registrations(ctx context.Context, eventID string) ([]*domain.EventRegistration, error) {
	q := s.svc.Read()
	if _, err := eventByID(ctx, q, eventID, ""); err != nil {
		return nil, err
	}
	rs, err := queryRegs(ctx, q, `r.event_id=?`, eventID)
	if err != nil {
		return nil, err
	}
	pos := 0
	rank := map[string]int{domain.EventRegistered: 0, domain.EventWaitlisted: 1, domain.EventCancelled: 2}
	out := make([]*domain.EventRegistration, 0, len(rs))
	for k := 0; k < 3; k++ {
		for _, r := range rs {
			if rank[r.Status] == k {
				if r.Status == domain.EventWaitlisted {
					pos++
					r.Position = pos
				}
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// Waitlist is an event's waitlist in promotion order.
func (s *Service) Waitlist(ctx context.Context, eventID string) ([]*domain.EventRegistration, error) {
	return waitlist(ctx, s.svc.Read(), eventID)
}

// Registration is one registration, with its event.
func (s *Service) Registration(ctx context.Context, id string) (*domain.EventRegistration, error) {
	q := s.svc.Read()
	r, err := regByID(ctx, q, id)
	if err != nil {
		return nil, err
	}
	r.Event, err = eventByID(ctx, q, r.EventID, s.account)
	return r, err
}

// ByTicket is the registration a ticket code names.
func (s *Service) ByTicket(ctx context.Context, ticket string) (*domain.EventRegistration, error) {
	q := s.svc.Read()
	rs, err := queryRegs(ctx, q, `r.ticket=?`, strings.ToUpper(strings.TrimSpace(ticket)))
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, domain.Fail(domain.CodeNotFound, "No event ticket %s.", ticket)
	}
	r, err := withPosition(ctx, q, rs[0])
	if err != nil {
		return nil, err
	}
	r.Event, err = eventByID(ctx, q, r.EventID, s.account)
	return r, err
}

// PatronRegistrations lists a patron's registrations (with their events),
// cancelled ones too when all.
func (s *Service) PatronRegistrations(ctx context.Context, patronID string, all bool) ([]*domain.EventRegistration, error) {
	q := s.svc.Read()
	where := `r.patron_id=?`
	if !all {
		where += ` AND r.cancelled_at=''`
	}
	rs, err := queryRegs(ctx, q, where, patronID)
	if err != nil {
		return nil, err
	}
	for i, r := range rs {
		if rs[i], err = withPosition(ctx, q, r); err != nil {
			return nil, err
		}
		if r.Event, err = eventByID(ctx, q, r.EventID, s.account); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// errNeedSeats: the command found too few seats here and central may
// have more; nothing was emitted.
var errNeedSeats = errors.New("events: too few seats here")

// Register registers a patron (and the people with them) for an event: a
// seat from this node's share, else from central's when central can be
// reached, else on the waitlist. lang (en or fi) is the message's.
func (s *Service) Register(ctx context.Context, eventID string, req domain.EventRegistrationRequest, lang string) (*domain.EventRegistration, error) {
	if req.PatronID == "" && req.Cardnumber != "" {
		p, err := s.svc.PatronByCard(ctx, req.Cardnumber)
		if err != nil {
			return nil, err
		}
		req.PatronID = p.PatronID
	}
	if req.PatronID == "" {
		return nil, domain.Invalid("Name the patron to register (patron_id).")
	}
	if _, err := s.svc.Patron(ctx, req.PatronID); err != nil {
		return nil, err
	}
	var guests []string
	for _, g := range req.Guests {
		if g = strings.TrimSpace(g); g != "" {
			if len(g) > 100 {
				return nil, domain.Invalid("A guest's name is too long.")
			}
			guests = append(guests, g)
		}
	}
	if req.GuestCount < 0 {
		return nil, domain.Invalid("guest_count cannot be negative.")
	}
	seats := 1 + max(len(guests), req.GuestCount)
	if seats > domain.MaxEventParty {
		return nil, domain.Invalid("At most %d people per registration.", domain.MaxEventParty)
	}
	r := request{Op: opRegister, EventID: eventID, PatronID: req.PatronID, Seats: seats, Guests: guests,
		RegistrationID: s.newID(), Ticket: s.newTicket(), Actor: domain.ActorFrom(ctx), Lang: lang}
	var id string
	var err error
	if s.cfg.Central {
		id, err = s.ask(ctx, r)
	} else {
		id, err = s.local(ctx, r, s.cfg.Remote == nil)
		if errors.Is(err, errNeedSeats) {
			if s.reserve(ctx, eventID, seats) != nil {
				r.Offline = true
			}
			id, err = s.local(ctx, r, true)
		}
	}
	if err != nil {
		return nil, err
	}
	reg, err := s.Registration(ctx, id)
	if err != nil {
		return nil, err
	}
	reg.Message = statusMessage(reg, r.Offline, lang)
	return reg, nil
}

// local runs a request in this node's command transaction, from its own
// account; final: do not stop for more seats from central.
func (s *Service) local(ctx context.Context, r request, final bool) (string, error) {
	var id string
	var more bool
	err := s.svc.Update(ctx, func(t *branch.Txn) error {
		d := decision{q: t, now: t.Now(), account: s.account, final: final, plant: s.cfg.PlantOversell,
			emit: func(ctx context.Context, kind string, p any) error { _, err := t.Emit(ctx, kind, p); return err }}
		var err error
		id, more, err = d.run(ctx, r)
		return err
	})
	if err == nil && more {
		err = errNeedSeats
	}
	return id, err
}

// ask has central decide a request; its ops are integrated here.
func (s *Service) ask(ctx context.Context, r request) (string, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	out, ops, err := s.cfg.Remote.Decide(ctx, body)
	if err != nil {
		return "", errors.Join(domain.Fail(domain.CodeNotPermitted, "%s", text(r.Lang, "offline")), err)
	}
	if len(ops) > 0 {
		if _, err := s.svc.Log().Integrate(ctx, ops); err != nil {
			return "", fmt.Errorf("events: store central's ops: %w", err)
		}
	}
	var rep reply
	if err := json.Unmarshal(out, &rep); err != nil {
		return "", fmt.Errorf("events: bad reply from central: %w", err)
	}
	if rep.Refusal != nil {
		return "", rep.Refusal
	}
	return rep.ID, nil
}

// reserve asks central for seats (need and a batch more); an error means
// none came.
func (s *Service) reserve(ctx context.Context, eventID string, need int) error {
	if s.cfg.Remote == nil {
		return errNeedSeats
	}
	_, err := s.ask(ctx, request{Op: opReserve, EventID: eventID, Seats: need, Batch: s.cfg.Batch, Account: s.account,
		Actor: domain.ActorFrom(ctx)})
	return err
}

// Unregister cancels a registration; its seats go back to the account
// that held them, and the waitlist moves up where this node can.
func (s *Service) Unregister(ctx context.Context, eventID, regID string) (*domain.EventRegistration, error) {
	err := s.svc.Update(ctx, func(t *branch.Txn) error {
		r, err := regByID(ctx, t, regID)
		if err != nil {
			return err
		}
		if eventID != "" && r.EventID != eventID {
			return domain.Fail(domain.CodeNotFound, "No registration %s for event %s.", regID, eventID)
		}
		if r.Status == domain.EventCancelled {
			return nil
		}
		_, err = t.Emit(ctx, KindUnregister, unregisterOp{RegistrationID: regID, CancelledAt: t.Stamp()})
		return err
	})
	if err != nil {
		return nil, err
	}
	if r, err := s.Registration(ctx, regID); err == nil {
		s.Promote(ctx, r.EventID)
	}
	return s.Registration(ctx, regID)
}

// Promote gives free seats this node holds (or can get from central) to
// the event's waitlist, head first: the registrations promoted.
func (s *Service) Promote(ctx context.Context, eventID string) ([]string, error) {
	r := request{Op: opPromote, EventID: eventID, Actor: domain.ActorFrom(ctx)}
	if s.cfg.Central {
		id, err := s.ask(ctx, r)
		if id == "" {
			return nil, err
		}
		return strings.Split(id, ","), err
	}
	var out []string
	for range 2 {
		ids, err := s.local(ctx, r, s.cfg.Remote == nil)
		if ids != "" {
			out = append(out, strings.Split(ids, ",")...)
		}
		if !errors.Is(err, errNeedSeats) {
			return out, err
		}
		wl, werr := s.Waitlist(ctx, eventID)
		if werr != nil || len(wl) == 0 {
			return out, werr
		}
		if s.reserve(ctx, eventID, wl[0].Seats) != nil {
			return out, nil
		}
	}
	return out, nil
}

// PromoteAll promotes on every event not yet over with a waitlist: what a
// node's loop runs, so a seat freed elsewhere reaches the waitlist once
// its op arrives here. It answers the registrations promoted.
func (s *Service) PromoteAll(ctx context.Context) ([]string, error) {
	now := s.svc.Now().UTC().Format(stampLayout)
	rows, err := s.svc.Read().QueryContext(ctx, `SELECT DISTINCT r.event_id FROM event_registrations r JOIN events e ON e.event_id=r.event_id
		WHERE r.cancelled_at='' AND e.cancelled_at='' AND e.ends_at>? AND NOT EXISTS (SELECT 1 FROM event_debits d WHERE d.registration_id=r.registration_id)
		ORDER BY r.event_id`, now)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []string
	for _, id := range ids {
		p, err := s.Promote(ctx, id)
		out = append(out, p...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// Checkin checks a ticket in (at the event's branch or anywhere): once;
// scanning it again answers Already. Offline check-ins on two nodes are
// one check-in after the merge (a set keyed by registration).
func (s *Service) Checkin(ctx context.Context, eventID, ticket string) (*domain.EventCheckin, error) {
	ticket = strings.ToUpper(strings.TrimSpace(ticket))
	if !IsTicket(ticket) {
		return nil, domain.Invalid("%q is not an event ticket.", ticket)
	}
	var already bool
	var regID string
	err := s.svc.Update(ctx, func(t *branch.Txn) error {
		rs, err := queryRegs(ctx, t, `r.ticket=?`, ticket)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return domain.Fail(domain.CodeNotFound, "No event ticket %s.", ticket)
		}
		r := rs[0]
		regID = r.RegistrationID
		if eventID != "" && r.EventID != eventID {
			return domain.Fail(domain.CodeNotPermitted, "This ticket is for another event.")
		}
		switch {
		case r.Status == domain.EventCancelled:
			return domain.Fail(domain.CodeNotPermitted, "This registration was cancelled.")
		case r.Status == domain.EventWaitlisted:
			return domain.Fail(domain.CodeNotPermitted, "This registration is on the waitlist: it has no seat yet.")
		case r.CheckedIn != "":
			already = true
			return nil
		}
		_, err = t.Emit(ctx, KindCheckin, checkinOp{RegistrationID: r.RegistrationID, EventID: r.EventID, At: t.Stamp()})
		return err
	})
	if err != nil {
		return nil, err
	}
	reg, err := s.Registration(ctx, regID)
	if err != nil {
		return nil, err
	}
	if !already {
		s.inviteAttended(ctx, reg)
	}
	return &domain.EventCheckin{Registration: reg, Already: already}, nil
}

// inviteAttended asks the patron checked in for a survey about the
// event. Best effort: a failure costs the invitation, never the check-in.
func (s *Service) inviteAttended(ctx context.Context, reg *domain.EventRegistration) {
	f := s.feedback.Load()
	if f == nil || reg.PatronID == "" {
		return
	}
	tr := domain.FeedbackTrigger{PatronID: reg.PatronID, Kind: domain.FeedbackEvent, Ref: reg.RegistrationID}
	if reg.Event != nil {
		tr.LibraryID = reg.Event.LibraryID
	}
	(*f).Invite(ctx, tr)
}

// AttendedStands is what "still stands" means for a survey about an event
// attended (branch/feedback's Stands; Ref the registration): the
// registration is the patron's, checked in, not cancelled, and its event
// not cancelled.
func AttendedStands(ctx context.Context, q replicate.Querier, inv domain.FeedbackInvitation, _ time.Time) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM event_checkins c JOIN event_registrations r ON r.registration_id=c.registration_id
		JOIN events e ON e.event_id=r.event_id WHERE c.registration_id=? AND r.patron_id=? AND r.cancelled_at='' AND e.cancelled_at='')`,
		inv.Ref, inv.PatronID).Scan(&n)
	return n == 1, err
}

// Today lists the events at a library that run on the day of now.
func (s *Service) Today(ctx context.Context, libraryID string) ([]*domain.Event, error) {
	now := s.svc.Now()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	return s.Events(ctx, Filter{LibraryID: libraryID, From: day.UTC().Format(stampLayout), To: day.AddDate(0, 0, 1).UTC().Format(stampLayout)})
}

// DecideHere decides an encoded request for the Central account in this
// node's own command transaction and answers the reply and the ops it
// emitted: an in-process central for a single-site test or tool.
func (s *Service) DecideHere(ctx context.Context, payload []byte) ([]byte, []replicate.Op, error) {
	var out []byte
	var ops []replicate.Op
	err := s.svc.Update(ctx, func(t *branch.Txn) error {
		var err error
		out, err = Decide(ctx, t, t.Now(), payload, func(ctx context.Context, kind string, p any, _, _ string) error {
			op, err := t.Emit(ctx, kind, p)
			ops = append(ops, op)
			return err
		})
		return err
	})
	return out, ops, err
}

// Bound reads a from/to bound of a listing: a date (midnight in library
// time) or an RFC 3339 time; "" stays "".
func (s *Service) Bound(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	loc := s.svc.Now().Location()
	if d, err := time.ParseInLocation(domain.DateLayout, v, loc); err == nil {
		return d.UTC().Format(stampLayout), nil
	}
	t, err := ParseTime(v, loc)
	if err != nil {
		return "", err
	}
	return t.UTC().Format(stampLayout), nil
}
