package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"stacks/branch/domain"
	"stacks/replicate"
)

// Balance is the seats account may still confirm for an event, as q
// knows: seats moved in, minus moved out, minus seats it took for
// registrations, plus those that went back (a registration cancelled, or a
// second seat for one registration that another holds first). Every term
// that lowers it is an op of the account's owner; other nodes' ops only
// raise it, so the owner's local view is a lower bound of the truth.
func Balance(ctx context.Context, q replicate.Querier, eventID, account string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT
		coalesce((SELECT sum(seats) FROM event_ledger WHERE event_id=?1 AND to_acct=?2),0)
		- coalesce((SELECT sum(seats) FROM event_ledger WHERE event_id=?1 AND from_acct=?2),0)
		- coalesce((SELECT sum(seats) FROM event_debits WHERE event_id=?1 AND account=?2),0)
		+ coalesce((SELECT sum(d.seats) FROM event_debits d WHERE d.event_id=?1 AND d.account=?2 AND (
			EXISTS (SELECT 1 FROM event_registrations r WHERE r.registration_id=d.registration_id AND r.cancelled_at<>'')
			OR EXISTS (SELECT 1 FROM event_debits e WHERE e.registration_id=d.registration_id AND e.stamp<d.stamp))),0)`,
		eventID, account).Scan(&n)
	return n, err
}

// Capacity is the event's seats in all: created, added and taken away.
func Capacity(ctx context.Context, q replicate.Querier, eventID string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT coalesce((SELECT sum(seats) FROM event_ledger WHERE event_id=?1 AND from_acct=''),0)
		- coalesce((SELECT sum(seats) FROM event_ledger WHERE event_id=?1 AND to_acct=''),0)`, eventID).Scan(&n)
	return n, err
}

// SeatsTaken is the seats of the event's registrations that hold one
// (not cancelled, with at least one seat taken for them).
func SeatsTaken(ctx context.Context, q replicate.Querier, eventID string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT coalesce(sum(r.seats),0) FROM event_registrations r WHERE r.event_id=? AND r.cancelled_at=''
		AND EXISTS (SELECT 1 FROM event_debits d WHERE d.registration_id=r.registration_id)`, eventID).Scan(&n)
	return n, err
}

// Overbooked lists events whose seats taken exceed their capacity: it
// must always be empty (the tests' and simulation's invariant).
func Overbooked(ctx context.Context, q replicate.Querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT event_id FROM events ORDER BY event_id`)
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
		c, err := Capacity(ctx, q, id)
		if err != nil {
			return nil, err
		}
		t, err := SeatsTaken(ctx, q, id)
		if err != nil {
			return nil, err
		}
		if t > c {
			out = append(out, fmt.Sprintf("event %s: %d seats taken of %d", id, t, c))
		}
	}
	return out, nil
}

const eventCols = `e.event_id, e.title, e.description, e.audience, e.library_id, e.room, e.starts_at, e.ends_at, e.reg_opens, e.reg_closes,
	e.drop_in, e.cancelled_at<>'', e.created_at`

func scanEvent(sc interface{ Scan(...any) error }) (*domain.Event, error) {
	var e domain.Event
	err := sc.Scan(&e.EventID, &e.Title, &e.Description, &e.Audience, &e.LibraryID, &e.Room, &e.Start, &e.End,
		&e.RegistrationOpens, &e.RegistrationCloses, &e.DropIn, &e.Cancelled, &e.CreatedAt)
	return &e, err
}

// fill completes an event's counts, with account's balance as SeatsHere.
func fill(ctx context.Context, q replicate.Querier, e *domain.Event, account string) error {
	var err error
	if e.Capacity, err = Capacity(ctx, q, e.EventID); err != nil {
		return err
	}
	if e.SeatsTaken, err = SeatsTaken(ctx, q, e.EventID); err != nil {
		return err
	}
	e.SeatsFree = max(e.Capacity-e.SeatsTaken, 0)
	if account != "" {
		if e.SeatsHere, err = Balance(ctx, q, e.EventID, account); err != nil {
			return err
		}
	}
	return q.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM event_registrations r WHERE r.event_id=?1 AND r.cancelled_at='' AND NOT EXISTS (SELECT 1 FROM event_debits d WHERE d.registration_id=r.registration_id)),
		(SELECT count(*) FROM event_checkins c WHERE c.event_id=?1),
		(SELECT coalesce(sum(r.seats),0) FROM event_checkins c JOIN event_registrations r ON r.registration_id=c.registration_id WHERE c.event_id=?1)`,
		e.EventID).Scan(&e.Waitlisted, &e.CheckedIn, &e.Attendance)
}

func eventByID(ctx context.Context, q replicate.Querier, id, account string) (*domain.Event, error) {
	e, err := scanEvent(q.QueryRowContext(ctx, `SELECT `+eventCols+` FROM events e WHERE e.event_id=? AND e.title<>''`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodeNotFound, "No event with id %s.", id)
	}
	if err != nil {
		return nil, err
	}
	return e, fill(ctx, q, e, account)
}

// Filter selects events to list (a plain domain type, so that the web
// can name it without linking storage).
type Filter = domain.EventFilter

func listEvents(ctx context.Context, q replicate.Querier, f Filter, account string) ([]*domain.Event, error) {
	where := []string{"e.title<>''"}
	var args []any
	if f.LibraryID != "" {
		where, args = append(where, "e.library_id=?"), append(args, f.LibraryID)
	}
	if f.Audience != "" {
		where, args = append(where, "e.audience=?"), append(args, f.Audience)
	}
	if f.From != "" {
		where, args = append(where, "e.ends_at>=?"), append(args, f.From)
	}
	if f.To != "" {
		where, args = append(where, "e.starts_at<?"), append(args, f.To)
	}
	if !f.Cancelled {
		where = append(where, "e.cancelled_at=''")
	}
	rows, err := q.QueryContext(ctx, `SELECT `+eventCols+` FROM events e WHERE `+strings.Join(where, " AND ")+` ORDER BY e.starts_at, e.event_id`, args...)
	if err != nil {
		return nil, err
	}
	out := []*domain.Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, e := range out {
		if err := fill(ctx, q, e, account); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const regCols = `r.registration_id, r.event_id, r.patron_id, coalesce(trim(p.firstname||' '||p.surname),''), r.seats, r.guests, r.ticket,
	r.created_at, r.channel, coalesce(c.checked_in_at,''), r.cancelled_at,
	EXISTS (SELECT 1 FROM event_debits d WHERE d.registration_id=r.registration_id), r.stamp`

const regFrom = ` FROM event_registrations r LEFT JOIN patrons p ON p.patron_id=r.patron_id
	LEFT JOIN event_checkins c ON c.registration_id=r.registration_id`

func scanReg(sc interface{ Scan(...any) error }) (*domain.EventRegistration, string, error) {
	var r domain.EventRegistration
	var guests, stamp string
	var seated bool
	if err := sc.Scan(&r.RegistrationID, &r.EventID, &r.PatronID, &r.PatronName, &r.Seats, &guests, &r.Ticket, &r.CreatedAt,
		&r.Channel, &r.CheckedIn, &r.CanceledAt, &seated, &stamp); err != nil {
		return nil, "", err
	}
	_ = json.Unmarshal([]byte(guests), &r.Guests)
	switch {
	case r.CanceledAt != "":
		r.Status = domain.EventCancelled
	case seated:
		r.Status = domain.EventRegistered
	default:
		r.Status = domain.EventWaitlisted
	}
	return &r, stamp, nil
}

func queryRegs(ctx context.Context, q replicate.Querier, where string, args ...any) ([]*domain.EventRegistration, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+regCols+regFrom+` WHERE r.event_id<>'' AND `+where+` ORDER BY r.stamp, r.registration_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*domain.EventRegistration{}
	pos := map[string]int{}
	for rows.Next() {
		r, _, err := scanReg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		_ = pos
	}
	return out, rows.Err()
}

// waitlist is an event's waiting registrations in (HLC, origin) order:
// the order of promotion on every replica.
func waitlist(ctx context.Context, q replicate.Querier, eventID string) ([]*domain.EventRegistration, error) {
	rs, err := queryRegs(ctx, q, `r.event_id=? AND r.cancelled_at='' AND NOT EXISTS (SELECT 1 FROM event_debits d WHERE d.registration_id=r.registration_id)`, eventID)
	for i, r := range rs {
		r.Position = i + 1
	}
	return rs, err
}

func regByID(ctx context.Context, q replicate.Querier, id string) (*domain.EventRegistration, error) {
	rs, err := queryRegs(ctx, q, `r.registration_id=?`, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, domain.Fail(domain.CodeNotFound, "No event registration with id %s.", id)
	}
	return withPosition(ctx, q, rs[0])
}

func withPosition(ctx context.Context, q replicate.Querier, r *domain.EventRegistration) (*domain.EventRegistration, error) {
	if r.Status != domain.EventWaitlisted {
		return r, nil
	}
	wl, err := waitlist(ctx, q, r.EventID)
	if err != nil {
		return nil, err
	}
	for _, w := range wl {
		if w.RegistrationID == r.RegistrationID {
			r.Position = w.Position
		}
	}
	return r, nil
}
