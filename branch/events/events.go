// Package events is events and programmes in Stacks: staff create events
// at a branch (with a capacity, a registration window, or as drop-in);
// patrons register themselves and the people coming with them, get a
// ticket (an unguessable code shown as a QR code), cancel, wait on a
// waitlist, and are checked in by scanning the ticket. It is a capability
// of branch (see branch.Capability).
//
// Capacity is a bounded counter held in escrow: each event's seats sit in
// accounts (a node's origin, or "central" for the central site's Raft
// state machine), and only the account's owner takes seats from it (a
// registration, a promotion, a transfer to another account), always after
// checking its own balance. Balances only grow by other nodes' ops, so a
// node's view of its own balance is a lower bound: a seat it confirms is
// never oversold, in any partition or merge. See the README's design
// subsection "Event seats" for the argument.
package events

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"

	"stacks/branch"
	"stacks/replicate"
)

// Op kinds.
const (
	KindCreate     = "events.create"     // createOp: an event and its first seats
	KindEdit       = "events.edit"       // editOp: an event's details (last writer wins)
	KindCancel     = "events.cancel"     // cancelOp: the event is cancelled
	KindSeats      = "events.seats"      // seatsOp: seats moved between accounts, added or taken away
	KindRegister   = "events.register"   // registerOp: a registration (with a seat, or waitlisted)
	KindSeat       = "events.seat"       // seatOp: a waitlisted registration promoted to a seat
	KindUnregister = "events.unregister" // unregisterOp: a registration cancelled
	KindCheckin    = "events.checkin"    // checkinOp: a ticket checked in
)

// Central is the account of the central site's seats: only central's
// state machine (Decide) takes seats from it.
const Central = "central"

type details struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Audience    string `json:"audience,omitempty"`
	LibraryID   string `json:"library_id"`
	Room        string `json:"room,omitempty"`
	Start       string `json:"start"`
	End         string `json:"end"`
	RegOpens    string `json:"reg_opens,omitempty"`
	RegCloses   string `json:"reg_closes,omitempty"`
	DropIn      bool   `json:"drop_in,omitempty"`
}

type createOp struct {
	EventID string `json:"event_id"`
	details
	Capacity  int    `json:"capacity"`
	Account   string `json:"account"` // who holds the seats first
	CreatedAt string `json:"created_at"`
}

type editOp struct {
	EventID string `json:"event_id"`
	details
}

type cancelOp struct {
	EventID     string `json:"event_id"`
	CancelledAt string `json:"cancelled_at"`
}

type seatsOp struct {
	EventID string `json:"event_id"`
	From    string `json:"from"` // '' creates seats
	To      string `json:"to"`   // '' takes them away
	Seats   int    `json:"seats"`
}

type registerOp struct {
	RegistrationID string   `json:"registration_id"`
	EventID        string   `json:"event_id"`
	PatronID       string   `json:"patron_id"`
	Seats          int      `json:"seats"`
	Guests         []string `json:"guests,omitempty"`
	Ticket         string   `json:"ticket"`
	CreatedAt      string   `json:"created_at"`
	// Account is the account the seats come from, or '' (waitlisted).
	Account string `json:"account,omitempty"`
}

type seatOp struct {
	RegistrationID string `json:"registration_id"`
	EventID        string `json:"event_id"`
	Account        string `json:"account"`
	Seats          int    `json:"seats"`
}

type unregisterOp struct {
	RegistrationID string `json:"registration_id"`
	CancelledAt    string `json:"cancelled_at"`
}

type checkinOp struct {
	RegistrationID string `json:"registration_id"`
	EventID        string `json:"event_id"`
	At             string `json:"at"`
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// StateTables are the tables events ops fold into, in hash order.
var StateTables = []string{"events", "event_ledger", "event_registrations", "event_debits", "event_checkins"}

// Capability is events as a capability of branch.
func Capability() branch.Capability {
	ms, err := replicate.MigrationsFromFS("events", migrationFS, "migrations")
	if err != nil {
		panic(err) // embedded at build time: a build defect
	}
	return branch.Capability{
		Name:        "events",
		Kinds:       []string{KindCreate, KindEdit, KindCancel, KindSeats, KindRegister, KindSeat, KindUnregister, KindCheckin},
		Apply:       apply,
		Migrations:  ms,
		StateTables: StateTables,
		Export:      export, Erase: erase, PersonalKeys: personalKeys,
	}
}

func apply(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	for _, op := range ops {
		if err := applyOne(ctx, tx, op); err != nil {
			return fmt.Errorf("op %s: events: %w", op.ID(), err)
		}
	}
	return nil
}

// applyOne folds one op. Inserts keyed by the op or its subject, LWW by
// stamp for details, earliest for cancellation and check-in: any order,
// any number of deliveries, the same rows.
func applyOne(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	stamp := string(op.Stamp())
	switch op.Kind {
	case KindCreate:
		var p createOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return err
		}
		if err := upsertDetails(ctx, tx, p.EventID, p.details, stamp); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET created_at=? WHERE event_id=?`, p.CreatedAt, p.EventID); err != nil {
			return err
		}
		return ledger(ctx, tx, op.ID(), p.EventID, "", p.Account, p.Capacity)
	case KindEdit:
		var p editOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return err
		}
		return upsertDetails(ctx, tx, p.EventID, p.details, stamp)
	case KindCancel:
		var p cancelOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO events (event_id, cancelled_at) VALUES (?,?) ON CONFLICT(event_id) DO UPDATE SET
			cancelled_at=CASE WHEN cancelled_at='' OR excluded.cancelled_at<cancelled_at THEN excluded.cancelled_at ELSE cancelled_at END`,
			p.EventID, p.CancelledAt)
		return err
	case KindSeats:
		var p seatsOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return err
		}
		return ledger(ctx, tx, op.ID(), p.EventID, p.From, p.To, p.Seats)
	case KindRegister:
		var p registerOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return err
		}
		guests, _ := json.Marshal(p.Guests)
		if p.Guests == nil {
			guests = []byte("[]")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_registrations (registration_id, event_id, patron_id, seats, guests, ticket, stamp, channel, created_at)
			VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(registration_id) DO UPDATE SET event_id=excluded.event_id, patron_id=excluded.patron_id,
			seats=excluded.seats, guests=excluded.guests, ticket=excluded.ticket, stamp=excluded.stamp, channel=excluded.channel, created_at=excluded.created_at`,
			p.RegistrationID, p.EventID, p.PatronID, p.Seats, string(guests), p.Ticket, stamp, op.Channel, p.CreatedAt); err != nil {
			return err
		}
		if p.Account == "" {
			return nil
		}
		return debit(ctx, tx, op.ID(), p.RegistrationID, p.EventID, p.Account, p.Seats, stamp)
	case KindSeat:
		var p seatOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return err
		}
		return debit(ctx, tx, op.ID(), p.RegistrationID, p.EventID, p.Account, p.Seats, stamp)
	case KindUnregister:
		var p unregisterOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO event_registrations (registration_id, cancelled_at) VALUES (?,?) ON CONFLICT(registration_id) DO UPDATE SET
			cancelled_at=CASE WHEN cancelled_at='' OR excluded.cancelled_at<cancelled_at THEN excluded.cancelled_at ELSE cancelled_at END`,
			p.RegistrationID, p.CancelledAt)
		return err
	case KindCheckin:
		var p checkinOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO event_checkins (registration_id, event_id, checked_in_at, channel) VALUES (?,?,?,?)
			ON CONFLICT(registration_id) DO UPDATE SET
			channel=CASE WHEN excluded.checked_in_at<checked_in_at OR (excluded.checked_in_at=checked_in_at AND excluded.channel<channel) THEN excluded.channel ELSE channel END,
			checked_in_at=min(checked_in_at, excluded.checked_in_at)`, p.RegistrationID, p.EventID, p.At, op.Channel)
		return err
	}
	return fmt.Errorf("unknown kind %s", op.Kind)
}

func upsertDetails(ctx context.Context, tx *replicate.Tx, id string, d details, stamp string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO events (event_id, title, description, audience, library_id, room, starts_at, ends_at, reg_opens, reg_closes, drop_in, edit_stamp)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(event_id) DO UPDATE SET
		title=CASE WHEN excluded.edit_stamp>edit_stamp THEN excluded.title ELSE title END,
		description=CASE WHEN excluded.edit_stamp>edit_stamp THEN excluded.description ELSE description END,
		audience=CASE WHEN excluded.edit_stamp>edit_stamp THEN excluded.audience ELSE audience END,
		library_id=CASE WHEN excluded.edit_stamp>edit_stamp THEN excluded.library_id ELSE library_id END,
		room=CASE WHEN excluded.edit_stamp>edit_stamp THEN excluded.room ELSE room END,
		starts_at=CASE WHEN excluded.edit_stamp>edit_stamp THEN excluded.starts_at ELSE starts_at END,
		ends_at=CASE WHEN excluded.edit_stamp>edit_stamp THEN excluded.ends_at ELSE ends_at END,
		reg_opens=CASE WHEN excluded.edit_stamp>edit_stamp THEN excluded.reg_opens ELSE reg_opens END,
		reg_closes=CASE WHEN excluded.edit_stamp>edit_stamp THEN excluded.reg_closes ELSE reg_closes END,
		drop_in=CASE WHEN excluded.edit_stamp>edit_stamp THEN excluded.drop_in ELSE drop_in END,
		edit_stamp=max(edit_stamp, excluded.edit_stamp)`,
		id, d.Title, d.Description, d.Audience, d.LibraryID, d.Room, d.Start, d.End, d.RegOpens, d.RegCloses, d.DropIn, stamp)
	return err
}

func ledger(ctx context.Context, tx *replicate.Tx, opID, event, from, to string, seats int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO event_ledger (op_id, event_id, from_acct, to_acct, seats) VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING`,
		opID, event, from, to, seats)
	return err
}

func debit(ctx context.Context, tx *replicate.Tx, opID, reg, event, account string, seats int, stamp string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO event_debits (op_id, registration_id, event_id, account, seats, stamp) VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
		opID, reg, event, account, seats, stamp)
	return err
}
