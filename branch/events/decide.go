package events

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
)

// Requests a node decides in its own command transaction, or central's
// state machine decides for the Central account.
const (
	opRegister = "register"
	opPromote  = "promote"
	opReserve  = "reserve" // move seats from Central to a branch's account
)

type request struct {
	Op             string       `json:"op"`
	EventID        string       `json:"event_id"`
	PatronID       string       `json:"patron_id,omitempty"`
	Seats          int          `json:"seats,omitempty"`
	Batch          int          `json:"batch,omitempty"`
	Guests         []string     `json:"guests,omitempty"`
	RegistrationID string       `json:"registration_id,omitempty"`
	Ticket         string       `json:"ticket,omitempty"`
	Account        string       `json:"account,omitempty"` // reserve: who gets the seats
	Actor          domain.Actor `json:"actor"`
	Lang           string       `json:"lang,omitempty"`
	// Offline: central could not be reached (the patron is told).
	Offline bool `json:"-"`
}

type reply struct {
	ID      string        `json:"id,omitempty"`
	Refusal *domain.Error `json:"refusal,omitempty"`
}

// decision runs one request against q at time now, taking seats only from
// account, after reading account's balance in the same transaction (or,
// on central, the same state machine step).
type decision struct {
	q       replicate.Querier
	emit    func(ctx context.Context, kind string, payload any) error
	now     time.Time
	account string
	// final: a registration with too few seats here is waitlisted rather
	// than answered with needMore (to ask central first).
	final bool
	plant bool
}

func (d *decision) stamp() string { return d.now.UTC().Format(stampLayout) }

// run answers the id made (a registration; promotions comma-joined) and
// whether more seats are needed from central first.
func (d *decision) run(ctx context.Context, r request) (string, bool, error) {
	switch r.Op {
	case opRegister:
		return d.register(ctx, r)
	case opPromote:
		return d.promote(ctx, r.EventID)
	case opReserve:
		return d.reserve(ctx, r)
	}
	return "", false, domain.Invalid("Unknown events request %q.", r.Op)
}

func (d *decision) register(ctx context.Context, r request) (string, bool, error) {
	e, err := eventByID(ctx, d.q, r.EventID, "")
	if err != nil {
		return "", false, err
	}
	now := d.stamp()
	switch {
	case e.Cancelled:
		return "", false, domain.Fail(domain.CodeNotPermitted, "%s", text(r.Lang, "cancelled"))
	case e.DropIn:
		return "", false, domain.Fail(domain.CodeNotPermitted, "%s", text(r.Lang, "dropin"))
	case e.RegistrationOpens != "" && now < e.RegistrationOpens:
		return "", false, domain.Fail(domain.CodeNotPermitted, "%s", text(r.Lang, "notyet"))
	case now >= e.End || (e.RegistrationCloses != "" && now >= e.RegistrationCloses) || (e.RegistrationCloses == "" && now >= e.Start):
		return "", false, domain.Fail(domain.CodeNotPermitted, "%s", text(r.Lang, "closed"))
	}
	// A request repeated (a lost answer), or a patron already registered:
	// the registration they have.
	var have string
	err = d.q.QueryRowContext(ctx, `SELECT registration_id FROM event_registrations WHERE (registration_id=?) OR
		(event_id=? AND patron_id=? AND cancelled_at='') ORDER BY stamp LIMIT 1`, r.RegistrationID, r.EventID, r.PatronID).Scan(&have)
	if err == nil {
		return have, false, nil
	}
	bal, err := Balance(ctx, d.q, r.EventID, d.account)
	if err != nil {
		return "", false, err
	}
	acct := ""
	switch {
	case bal >= r.Seats || d.plant:
		acct = d.account
	case !d.final:
		return "", true, nil
	}
	err = d.emit(ctx, KindRegister, registerOp{RegistrationID: r.RegistrationID, EventID: r.EventID, PatronID: r.PatronID,
		Seats: r.Seats, Guests: r.Guests, Ticket: r.Ticket, CreatedAt: now, Account: acct})
	return r.RegistrationID, false, err
}

// promote gives the account's seats to the waitlist's head, again and
// again; it stops at a head needing more than is left (no one is passed
// over), answering needMore.
func (d *decision) promote(ctx context.Context, eventID string) (string, bool, error) {
	e, err := eventByID(ctx, d.q, eventID, "")
	if err != nil {
		return "", false, err
	}
	if e.Cancelled || d.stamp() >= e.End {
		return "", false, nil
	}
	var ids []string
	for {
		wl, err := waitlist(ctx, d.q, eventID)
		if err != nil || len(wl) == 0 {
			return strings.Join(ids, ","), false, err
		}
		head := wl[0]
		bal, err := Balance(ctx, d.q, eventID, d.account)
		if err != nil {
			return "", false, err
		}
		if bal < head.Seats && !d.plant {
			return strings.Join(ids, ","), true, nil
		}
		if d.plant && len(ids) > 0 {
			return strings.Join(ids, ","), false, nil
		}
		if err := d.emit(ctx, KindSeat, seatOp{RegistrationID: head.RegistrationID, EventID: eventID, Account: d.account, Seats: head.Seats}); err != nil {
			return "", false, err
		}
		ids = append(ids, head.RegistrationID)
	}
}

// reserve moves seats from the deciding account (Central) to a branch's:
// the need and up to a batch more, or nothing if central has too few.
func (d *decision) reserve(ctx context.Context, r request) (string, bool, error) {
	if r.Account == "" || r.Account == d.account || r.Seats <= 0 {
		return "", false, domain.Invalid("Bad seat reservation.")
	}
	bal, err := Balance(ctx, d.q, r.EventID, d.account)
	if err != nil {
		return "", false, err
	}
	if bal < r.Seats {
		return "", false, domain.Fail(domain.CodeNotPermitted, "No seats left at central.")
	}
	n := min(bal, r.Seats+max(r.Batch, 0))
	return "", false, d.emit(ctx, KindSeats, seatsOp{EventID: r.EventID, From: d.account, To: r.Account, Seats: n})
}

// Decide decides an encoded request inside central's replicated state
// machine (its Raft FSM) for the Central account: q is the transaction,
// now the request's time (the same on every replica), and emit appends an
// op of the state machine. A refusal is part of the reply.
func Decide(ctx context.Context, q replicate.Querier, now time.Time, payload []byte,
	emit func(ctx context.Context, kind string, payload any, actor, channel string) error) ([]byte, error) {
	var r request
	if err := json.Unmarshal(payload, &r); err != nil {
		return json.Marshal(reply{Refusal: domain.Invalid("Bad events request: %v", err)})
	}
	d := decision{q: q, now: now, account: Central, final: true, emit: func(ctx context.Context, kind string, p any) error {
		return emit(ctx, kind, p, r.Actor.ID, string(r.Actor.Channel))
	}}
	id, _, err := d.run(ctx, r)
	var de *domain.Error
	if errors.As(err, &de) {
		return json.Marshal(reply{Refusal: de})
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(reply{ID: id})
}
