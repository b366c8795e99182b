package feedback

import (
	"bytes"
	"context"
	"encoding/json"

	"stacks/branch"
	"stacks/replicate"
)

// personalKeys are the feedback ops' fields with a patron's free text.
var personalKeys = []string{"comment"}

// export is the patron's invitations, named answers and the staff's
// replies to them. Anonymous answers are linked to no one and are in no
// export.
func export(ctx context.Context, q replicate.Querier, patronID string) (any, error) {
	inv, err := branch.QueryMaps(ctx, q, `SELECT invitation_id, library_id, channel, kind, ref, invited_at, expires_at, closed_at
		FROM feedback_invitations WHERE patron_id=? ORDER BY invited_at, invitation_id`, patronID)
	if err != nil {
		return nil, err
	}
	ans, err := branch.QueryMaps(ctx, q, `SELECT answer_id, invitation_id, library_id, channel, kind, day, at, score, nps, comment
		FROM feedback_answers WHERE patron_id=? ORDER BY day, at, answer_id`, patronID)
	if err != nil {
		return nil, err
	}
	rep, err := branch.QueryMaps(ctx, q, `SELECT r.reply_id, r.answer_id, r.text, r.at FROM feedback_replies r
		JOIN feedback_answers a ON a.answer_id=r.answer_id WHERE a.patron_id=? ORDER BY r.at, r.reply_id`, patronID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"invitations": inv, "answers": ans, "replies": rep}, nil
}

// erase cuts the patron's named answers loose: each keeps its library,
// channel, kind, day, score and NPS (the results count them) and loses its
// patron, its comment and the text of the staff's replies to it; the
// patron's invitations keep their dates (the response rate) and lose their
// patron and what they were about (a loan or an event: a path back to the
// patron). The answer and invitation ops lose the same fields in place, so
// a replica that pulls them afterwards folds them to the same rows.
// Anonymous answers are untouched: they never named anyone.
func erase(ctx context.Context, tx *replicate.Tx, patronID string) error {
	var answers []string
	rows, err := tx.QueryContext(ctx, `SELECT answer_id FROM feedback_answers WHERE patron_id=? ORDER BY answer_id`, patronID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		answers = append(answers, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range answers {
		if _, err := tx.ExecContext(ctx, `UPDATE feedback_replies SET text='' WHERE answer_id=? AND text<>''`, id); err != nil {
			return err
		}
		if err := editOps(ctx, tx, KindReply, `"answer_id":"`+id+`"`, func(m map[string]any) { m["text"] = "" }); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE feedback_answers SET patron_id='', comment='' WHERE patron_id=?`, patronID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE feedback_invitations SET patron_id='', ref='' WHERE patron_id=?`, patronID); err != nil {
		return err
	}
	named := `"patron_id":"` + patronID + `"`
	if err := editOps(ctx, tx, KindAnswer, named, func(m map[string]any) {
		delete(m, "patron_id")
		delete(m, "comment")
	}); err != nil {
		return err
	}
	return editOps(ctx, tx, KindInvite, named, func(m map[string]any) {
		m["patron_id"] = ""
		delete(m, "ref")
	})
}

// editOps rewrites in place the payloads of the stored ops of kind that
// contain needle: each is decoded, edited and re-encoded (keys sorted, the
// same bytes on every replica). An op keeps its origin, counter, HLC and
// kind, so sync and version vectors are untouched.
func editOps(ctx context.Context, tx *replicate.Tx, kind, needle string, edit func(m map[string]any)) error {
	var ops []replicate.Op
	if err := tx.ScanOps(ctx, replicate.OpFilter{Kinds: []string{kind}, Match: func(op replicate.Op) bool {
		return bytes.Contains(op.Payload, []byte(needle))
	}}, func(op replicate.Op) error {
		ops = append(ops, op)
		return nil
	}); err != nil {
		return err
	}
	for _, o := range ops {
		dec := json.NewDecoder(bytes.NewReader(o.Payload))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil || m == nil {
			continue // not an object: nothing of ours to edit
		}
		edit(m)
		out, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if bytes.Equal(out, o.Payload) {
			continue
		}
		if _, err := tx.RewriteOp(ctx, o.Origin, o.Counter, out, o.Actor); err != nil {
			return err
		}
		tx.MarkRedacted() // central purges its Raft log's copy (replicate/central)
	}
	return nil
}
