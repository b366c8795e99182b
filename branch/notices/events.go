package notices

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
)

// Event notices (branch/events): a registration confirmed with a seat, a
// waitlisted registration promoted to a seat, a registration cancelled,
// and the event cancelled. Each is once per registration: its key is
// kind:registration:occurrence, the occurrence the library date the
// patron registered (which never changes). Each is due while its state
// holds, for RecentDays after it came about and until the event ends; the
// engine re-checks it before the send, so a registration cancelled since
// is not confirmed (the confirmation is recorded dropped and the
// cancellation goes instead). They are transactional: the patron asked
// by registering, so no preference turns them off. The reminder, from a
// day before the event, goes only to those who chose event reminders.

// EventReminderBefore is how long before an event's start its reminder
// becomes due.
const EventReminderBefore = 24 * time.Hour

// eventStampLayout is how branch/events stores event times (UTC, fixed
// width, so they sort).
const eventStampLayout = "2006-01-02T15:04:05Z"

// hasTable reports whether q's database has the table (a capability the
// node may not run).
func hasTable(ctx context.Context, q replicate.Querier, name string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?`, name).Scan(&n)
	return n > 0, err
}

// stampTime is the time of an op stamp (16 hex digits of HLC, then the
// origin).
func stampTime(st string) (time.Time, bool) {
	if len(st) < 16 {
		return time.Time{}, false
	}
	h, err := strconv.ParseUint(st[:16], 16, 64)
	if err != nil {
		return time.Time{}, false
	}
	return replicate.Timestamp(h).Time(), true
}

// libraryDate is a stored UTC time (domain.TimeLayout or RFC 3339) as a
// date in loc.
func libraryDate(s string, loc *time.Location) string {
	for _, l := range []string{domain.TimeLayout, time.RFC3339Nano} {
		if t, err := time.Parse(l, s); err == nil {
			return t.In(loc).Format(domain.DateLayout)
		}
	}
	return ""
}

func (e *evaluation) eventNotices(ctx context.Context, q replicate.Querier, _ *evaluation, patronID string, emit func(candidate) error) error {
	if ok, err := hasTable(ctx, q, "event_registrations"); err != nil || !ok {
		return err
	}
	f, args := filter("r.patron_id", patronID)
	since := e.now.UTC().AddDate(0, 0, -e.opts.RecentDays)
	sinceS := since.Format(domain.TimeLayout)
	nowS := e.now.UTC().Format(eventStampLayout)
	// Registrations of events not yet over that were made, cancelled, or
	// whose event was cancelled recently, or that hold a seat (whose
	// promotion time is read from its stamp below).
	rows, err := q.QueryContext(ctx, `SELECT r.registration_id, r.patron_id, e.library_id, r.created_at, r.cancelled_at, e.cancelled_at,
		r.stamp, coalesce((SELECT min(d.stamp) FROM event_debits d WHERE d.registration_id=r.registration_id),''), e.starts_at
		FROM event_registrations r JOIN events e ON e.event_id=r.event_id JOIN patrons p ON p.patron_id=r.patron_id
		WHERE e.title<>'' AND e.ends_at>? AND p.registered_at<>'' AND r.created_at<>''
		AND (r.created_at>=?2 OR r.cancelled_at>=?2 OR e.cancelled_at>=?2
			OR EXISTS (SELECT 1 FROM event_debits d WHERE d.registration_id=r.registration_id))`+f,
		append([]any{nowS, sinceS}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, patron, br, created, regCancelled, evCancelled, regStamp, seatStamp, starts string
		if err := rows.Scan(&id, &patron, &br, &created, &regCancelled, &evCancelled, &regStamp, &seatStamp, &starts); err != nil {
			return err
		}
		kind := ""
		switch {
		case evCancelled != "":
			// Told the event is off, unless they had cancelled before.
			if (regCancelled == "" || regCancelled > evCancelled) && evCancelled >= sinceS {
				kind = KindEventCancelled
			}
		case regCancelled != "":
			if regCancelled >= sinceS {
				kind = KindEventRegistrationCancelled
			}
		case seatStamp == "":
			// Waitlisted: told when a seat comes.
		case seatStamp == regStamp:
			// The seat came with the registration.
			if created >= sinceS {
				kind = KindEventConfirmed
			}
		default:
			// The seat came later: promoted from the waitlist.
			if t, ok := stampTime(seatStamp); ok && !t.Before(since) {
				kind = KindEventPromoted
			}
		}
		if evCancelled == "" && regCancelled == "" && seatStamp != "" && starts > nowS &&
			starts <= e.now.UTC().Add(EventReminderBefore).Format(eventStampLayout) && e.wants(patron, domain.NoticeEvents) {
			// A reminder of an event they hold a seat at, its day near;
			// once per start date (a move to another day reminds again).
			occ := libraryDate(starts, e.now.Location())
			if err := emit(candidate{Base: baseKey(KindEventReminder, id, occ), Kind: KindEventReminder, PatronID: patron, Subject: id,
				Occurrence: occ, BranchID: br, Date: occ}); err != nil {
				return err
			}
		}
		if kind == "" {
			continue
		}
		occ := libraryDate(created, e.now.Location())
		if err := emit(candidate{Base: baseKey(kind, id, occ), Kind: kind, PatronID: patron, Subject: id, Occurrence: occ,
			BranchID: br, Date: libraryDate(starts, e.now.Location())}); err != nil {
			return err
		}
	}
	return rows.Err()
}

// eventOf fills a message about a registration: the event, its time in
// the library's zone, the room, the ticket, and the event as its line.
func eventOf(ctx context.Context, q replicate.Querier, m *Message, registrationID string, loc *time.Location) error {
	var ev Event
	var starts, ends, lib string
	err := q.QueryRowContext(ctx, `SELECT e.event_id, e.title, e.room, e.starts_at, e.ends_at, e.library_id, r.ticket, r.seats
		FROM event_registrations r JOIN events e ON e.event_id=r.event_id WHERE r.registration_id=?`, registrationID).
		Scan(&ev.EventID, &ev.Title, &ev.Room, &starts, &ends, &lib, &ev.Ticket, &ev.Seats)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	ev.RegistrationID = registrationID
	if t, err := time.Parse(eventStampLayout, starts); err == nil {
		ev.Start = t.In(loc).Format(time.RFC3339)
	}
	if t, err := time.Parse(eventStampLayout, ends); err == nil {
		ev.End = t.In(loc).Format(time.RFC3339)
	}
	if m.Kind == KindEventCancelled || m.Kind == KindEventRegistrationCancelled {
		ev.Ticket = "" // no ticket to bring
	}
	m.Event = &ev
	m.Lines = []Line{{Title: ev.Title, Branch: branchName(ctx, q, lib)}}
	return nil
}
