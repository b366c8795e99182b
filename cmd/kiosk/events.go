package main

import "strings"

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
