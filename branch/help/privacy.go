package help

import (
	"context"

	"stacks/branch"
	"stacks/replicate"
)

// personalKeys are the help ops' fields a patron's request carries about
// them: who asked (their actor, "patron:<card>"), what they wrote when
// opening it, and the text and author of the messages in it.
var personalKeys = []string{"asked_by", "message", "text", "author"}

// export is the patron's help requests with their conversation.
func export(ctx context.Context, q replicate.Querier, patronID string) (any, error) {
	reqs, err := branch.QueryMaps(ctx, q, `SELECT request_id, branch_id, channel, location, message, created_at, status,
		first_response_at, closed_at FROM help_requests WHERE patron_id=? ORDER BY created_at, request_id`, patronID)
	if err != nil {
		return nil, err
	}
	msgs, err := branch.QueryMaps(ctx, q, `SELECT m.message_id, m.request_id, m.author_kind, m.body, m.at FROM help_messages m
		JOIN help_requests r ON r.request_id=m.request_id WHERE r.patron_id=? ORDER BY m.at, m.stamp, m.message_id`, patronID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"requests": reqs, "messages": msgs}, nil
}

// erase blanks the patron's requests' conversation: who asked, what
// they wrote when opening it, and every message's text and author (the
// staff's replies to them are about them, and their ops, which name the
// patron, are blanked alike so that every replica folds them to the same
// rows). The requests stay, keyed by the pseudonym, with branch, channel,
// who claimed and closed them and every timing: the handling-time
// statistics depend on them.
func erase(ctx context.Context, tx *replicate.Tx, patronID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE help_messages SET body='', author=''
		WHERE request_id IN (SELECT request_id FROM help_requests WHERE patron_id=?) AND (body<>'' OR author<>'')`,
		patronID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE help_requests SET asked_by='', message='' WHERE patron_id=? AND (asked_by<>'' OR message<>'')`, patronID)
	return err
}
