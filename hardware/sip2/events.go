package sip2

import (
	"context"
	"strings"

	"stacks/branch/domain"
)

// Event tickets at the kiosk. A patron scans the QR code of their event
// ticket where the card goes (the patron identifier, AA, of patron status
// 23 or patron information 63): the ACS recognises the ticket code (as it
// recognises handoff codes), checks the ticket in once, and answers on the
// screen (AF) "Welcome to <event>: you are checked in" (or that it already
// was). A ticket is not a card: the answer names no patron (BL N), so a
// ticket opens no account.

// EventTickets checks event tickets in; node adapts branch/events to it.
type EventTickets interface {
	// IsTicket reports whether s is shaped like an event ticket.
	IsTicket(s string) bool
	// CheckinTicket checks the ticket in: the event's title, and whether
	// it had been checked in before.
	CheckinTicket(ctx context.Context, ticket string) (title string, already bool, err error)
}

// eventTicket checks in the ticket given as the card, if it is one: the
// screen message, and ok.
func (ss *session) eventTicket(ctx context.Context, card string) (msg string, ok bool) {
	t := ss.srv.cfg.Events
	if t == nil || !t.IsTicket(card) {
		return "", false
	}
	title, already, err := t.CheckinTicket(ctx, strings.TrimSpace(card))
	switch {
	case err != nil:
		ss.lg.Info("event ticket refused", "kiosk", ss.kiosk, "code", domain.ErrorCode(err))
		return ss.T("events.refused", ss.say(err)), true
	case already:
		return ss.T("events.already", title), true
	}
	ss.lg.Info("event ticket checked in", "kiosk", ss.kiosk)
	return ss.T("events.checkedin", title), true
}
