package events

import (
	"context"
	"encoding/json"

	"stacks/branch"
	"stacks/replicate"
)

// personalKeys are the registration op's fields that carry personal data:
// the guests' names (a list: each name is blanked, the list keeps its
// length) and the ticket code, a bearer credential.
var personalKeys = []string{"guests", "ticket"}

// export is the patron's registrations: which event, when, seats, their
// guests' names, the ticket, cancellation and check-in.
func export(ctx context.Context, q replicate.Querier, patronID string) (any, error) {
	return branch.QueryMaps(ctx, q, `SELECT r.registration_id, r.event_id, coalesce(e.title,'') AS title, coalesce(e.starts_at,'') AS starts_at,
		r.seats, r.guests, r.ticket, r.channel, r.created_at, r.cancelled_at, coalesce(c.checked_in_at,'') AS checked_in_at
		FROM event_registrations r LEFT JOIN events e ON e.event_id=r.event_id
		LEFT JOIN event_checkins c ON c.registration_id=r.registration_id
		WHERE r.patron_id=? ORDER BY r.created_at, r.registration_id`, patronID)
}

// erase blanks the guests' names (the list keeps its length) and the
// ticket of the patron's registrations. The registrations stay, keyed by
// the pseudonym, with their seats, order, debits and check-ins: the
// event's seat ledger, waiting list and attendance count depend on them.
func erase(ctx context.Context, tx *replicate.Tx, patronID string) error {
	rows, err := tx.QueryContext(ctx, `SELECT registration_id, guests FROM event_registrations WHERE patron_id=?
		AND (ticket<>'' OR guests<>'[]') ORDER BY registration_id`, patronID)
	if err != nil {
		return err
	}
	type reg struct{ id, guests string }
	var regs []reg
	for rows.Next() {
		var r reg
		if err := rows.Scan(&r.id, &r.guests); err != nil {
			rows.Close()
			return err
		}
		regs = append(regs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range regs {
		var names []string
		_ = json.Unmarshal([]byte(r.guests), &names) // a list that is not one becomes empty
		blank := make([]string, len(names))
		g, err := json.Marshal(blank)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE event_registrations SET guests=?, ticket='' WHERE registration_id=?`,
			string(g), r.id); err != nil {
			return err
		}
	}
	return nil
}
