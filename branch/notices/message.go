// Package notices is the notice engine: it decides which notices are due
// (hold ready, pre-due, due today, overdues, fines, card expiring, welcome,
// hold cancelled or expired, the monthly reading list, event registrations
// confirmed, promoted or cancelled, events cancelled), gives each a
// deterministic key, claims it in one place every node agrees on, re-checks
// it against current state and hands it to a Sender (node/notify implements
// email, SMS and print), recording the outcome as ops.
//
// This file is the contract between the engine and the channels: the
// engine builds Messages and calls Sender.Send; node/notify renders them
// with its templates and delivers them. Both sides may add fields, never
// change the meaning of one.
package notices

import (
	"context"
	"errors"
)

// Kinds of notice.
const (
	KindHoldReady     = "hold_ready"
	KindPreDue        = "pre_due"
	KindDueToday      = "due_today"
	KindOverdue1      = "overdue_1"
	KindOverdue2      = "overdue_2"
	KindOverdue3      = "overdue_3"
	KindFines         = "fines"
	KindCardExpiring  = "card_expiring"
	KindWelcome       = "welcome"
	KindHoldCancelled = "hold_cancelled"
	KindHoldExpired   = "hold_expired"
	KindReadingList   = "reading_list"
	// Event notices (branch/events), once per registration: a seat
	// confirmed at registration (with the ticket), a waitlisted
	// registration promoted to a seat (with the ticket), a registration
	// cancelled, the event cancelled.
	KindEventConfirmed             = "event_confirmed"
	KindEventPromoted              = "event_promoted"
	KindEventRegistrationCancelled = "event_registration_cancelled"
	KindEventCancelled             = "event_cancelled"
	// KindEventReminder reminds a patron who chose event reminders
	// (domain.NoticeEvents) of an event they hold a seat at, from
	// EventReminderBefore its start; once per registration and start date.
	KindEventReminder = "event_reminder"
	// KindDigest is one message a day carrying a patron's notices
	// (Message.Parts) for patrons who chose a digest.
	KindDigest = "digest"
)

// Channels a notice goes through.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	// ChannelPrint is a notice to post: it is put on the branch's print
	// list for staff, for patrons with neither email nor phone.
	ChannelPrint = "print"
)

// A Message is one notice (or one digest of several) ready to render and
// deliver.
type Message struct {
	// Key is the notice's deterministic key; the provider's idempotency
	// key (the email's Message-ID is derived from it, the SMS webhook
	// gets it as Idempotency-Key).
	Key      string `json:"key"`
	Kind     string `json:"kind"`
	Channel  string `json:"channel"`
	To       string `json:"to,omitempty"` // the email address or phone number; empty for print
	Language string `json:"language"`     // "en" or "fi": the patron's language
	Patron   Patron `json:"patron"`
	// BranchID is the branch the notice speaks for (pickup branch, the
	// loan's branch, the patron's home branch), whose name and branding
	// sign it.
	BranchID   string `json:"library_id"`
	BranchName string `json:"library_name"`
	// Lines are the titles it is about, one each.
	Lines []Line `json:"lines,omitempty"`
	// Amount is what is owed, in cents (fines).
	Amount int64 `json:"amount_cents,omitempty"`
	// Date is the notice's main date (YYYY-MM-DD, library time): the
	// pickup-by date, the due date, the card's expiry.
	Date string `json:"date,omitempty"`
	// Template, if set, names the template an overdue rule chose instead
	// of the kind's own (overdue notices only).
	Template string `json:"template,omitempty"`
	// Parts are the notices a digest carries (Kind KindDigest only).
	Parts []Message `json:"parts,omitempty"`
	// Event is the event and registration an event notice is about.
	Event *Event `json:"event,omitempty"`
}

// Event is what an event notice tells of the event and the registration.
type Event struct {
	EventID        string `json:"event_id"`
	RegistrationID string `json:"registration_id"`
	Title          string `json:"title"`
	Room           string `json:"room,omitempty"`
	// Start and End are RFC 3339 in the library's time zone.
	Start string `json:"start"`
	End   string `json:"end,omitempty"`
	// Ticket is the ticket code (the QR code on the patron's ticket page
	// encodes it); empty when the registration holds no seat.
	Ticket string `json:"ticket,omitempty"`
	Seats  int    `json:"seats"`
}

// Patron is who a message is for.
type Patron struct {
	ID         string `json:"patron_id"`
	Name       string `json:"name"` // as the patron would be addressed
	CardNumber string `json:"cardnumber"`
	// Address is the patron's postal address, for a notice to post.
	Address string `json:"address,omitempty"`
}

// Line is one title a notice is about.
type Line struct {
	BiblioID string `json:"biblio_id"`
	Title    string `json:"title"`
	Author   string `json:"author,omitempty"`
	Barcode  string `json:"barcode,omitempty"`
	DueDate  string `json:"due_date,omitempty"`     // YYYY-MM-DD, loans
	PickupBy string `json:"pickup_by,omitempty"`    // YYYY-MM-DD, ready holds
	Branch   string `json:"library_name,omitempty"` // branch name: where to pick up or return
	Amount   int64  `json:"amount_cents,omitempty"` // cents, a fee
}

// A Sender delivers a message through its channel. It returns nil once the
// channel accepted the message (the SMTP relay answered 250 to DATA, the
// SMS provider 2xx). An error wrapping ErrPermanent means this message can
// never go through this channel (a malformed or rejected address, a number
// the provider refuses): the engine falls back to the patron's next channel
// and flags the contact for staff. Any other error is temporary (relay
// down, timeout) and the engine tries again later with the same key.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrPermanent marks a permanent delivery failure (see Sender).
var ErrPermanent = errors.New("notices: permanent delivery failure")

// A Tracker records what happens to a notice after it was sent; the engine
// implements it, and node/notify's tracking pixel, link redirects and
// bounce handling call it with the notice's key.
type Tracker interface {
	// Opened records that the message was opened (its pixel was fetched).
	Opened(ctx context.Context, key string) error
	// Clicked records that a link in it was followed.
	Clicked(ctx context.Context, key, url string) error
	// Bounced records a delivery failure reported after acceptance (a
	// bounce): the contact is flagged for staff.
	Bounced(ctx context.Context, key, reason string) error
}
