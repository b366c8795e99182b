package main

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// Event tickets: a patron scans their ticket's QR code where the card goes;
// the ACS checks it in and answers on the screen (see "Events" in the
// README). A ticket is not a card, so the kiosk asks no PIN for it.

// ticketPrefix and ticketLen are the shape of branch/events tickets
// (EVT- and 26 base32 characters); the kiosk links no storage, so it
// keeps its own copy of the shape.
const (
	ticketPrefix = "EVT-"
	ticketLen    = len(ticketPrefix) + 26
)

// isEventTicket reports whether what was scanned as a card is shaped like
// an event ticket.
func isEventTicket(s string) bool {
	s = strings.ToUpper(strings.TrimSpace(s))
	return strings.HasPrefix(s, ticketPrefix) && len(s) == ticketLen
}

// kioskEvent is what the kiosk shows of an event (GET /api/v1/events).
type kioskEvent struct {
	Title     string `json:"title"`
	Room      string `json:"room"`
	Start     string `json:"start"`
	DropIn    bool   `json:"drop_in"`
	Cancelled bool   `json:"cancelled"`
	SeatsFree int    `json:"seats_free"`
}

// todaysEvents lists today's events at this kiosk's branch (the branch of
// the appliance it speaks to, from /api/v1/auth/me), one line each: start
// time, title, room, and seats left, "waitlist" or "drop-in". now is the
// kiosk's clock; the day is its local day.
func (k *kiosk) todaysEvents(now time.Time) (result, error) {
	if k.help == nil || k.help.desk == nil {
		return result{msg: k.T("events.unavailable")}, nil
	}
	ctx := context.Background()
	var me struct {
		Branch string `json:"library_id"`
	}
	if err := k.help.desk.call(ctx, "GET", "/api/v1/auth/me", nil, &me); err != nil {
		return result{msg: k.T("events.unavailable")}, nil
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	q := url.Values{"library_id": {me.Branch}, "from": {day.Format(time.RFC3339)}, "to": {day.AddDate(0, 0, 1).Format(time.RFC3339)}}
	var es []kioskEvent
	if err := k.help.desk.call(ctx, "GET", "/api/v1/events?"+q.Encode(), nil, &es); err != nil {
		return result{msg: k.T("events.unavailable")}, nil
	}
	var lines []string
	for _, e := range es {
		if e.Cancelled {
			continue
		}
		start := e.Start
		if t, err := time.Parse(time.RFC3339, e.Start); err == nil {
			start = t.In(now.Location()).Format("15:04")
		}
		var seats string
		switch {
		case e.DropIn:
			seats = k.T("events.drop_in")
		case e.SeatsFree > 0:
			seats = k.T("events.seats_left", e.SeatsFree)
		default:
			seats = k.T("events.waitlist")
		}
		line := start + "  " + e.Title
		if e.Room != "" {
			line += "  (" + e.Room + ")"
		}
		lines = append(lines, line+"  "+seats)
	}
	if len(lines) == 0 {
		return result{ok: true, msg: k.T("events.none")}, nil
	}
	return result{ok: true, msg: k.T("events.title") + "\n" + strings.Join(lines, "\n")}, nil
}
