// Package feedback is the short survey after a transaction, on any
// channel: satisfaction 1-5 (CSAT), "how likely are you to recommend the
// library" 0-10 (NPS) and free text.
//
// A transaction (a renewal on the web, a hold pickup, a kiosk session, an
// event attended, a help request closed) triggers Invite, which invites the
// patron at most once per Config.Every (30 days) and only while the
// transaction still stands (each kind says what that means: Stands). The
// patron answers named or anonymously: an anonymous answer's op and row
// carry no patron ID, card, invitation or actor, and its time only as a
// day. Staff read results per branch, channel and ISO week (NPS, CSAT,
// response rate), and reply to named answers; the patron reads the reply in
// their account. The library keeps a public "you said, we did" page.
package feedback

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
	KindInvite = "feedback.invite" // inviteOp
	KindClose  = "feedback.close"  // closeOp: an invitation taken up or declined
	KindAnswer = "feedback.answer" // answerOp
	KindReply  = "feedback.reply"  // replyOp
	KindYSWD   = "feedback.yswd"   // yswdOp: a "you said, we did" entry written or deleted
)

type inviteOp struct {
	InvitationID string `json:"invitation_id"`
	PatronID     string `json:"patron_id"`
	LibraryID    string `json:"library_id"`
	Channel      string `json:"channel"`
	Kind         string `json:"kind"`
	Ref          string `json:"ref,omitempty"`
	At           string `json:"at"`
	Week         string `json:"week"`
	ExpiresAt    string `json:"expires_at"`
}

type closeOp struct {
	InvitationID string `json:"invitation_id"`
	At           string `json:"at"`
}

// answerOp is an answer. An anonymous one leaves PatronID, InvitationID
// and At empty (omitted from the payload): only its day and week remain.
type answerOp struct {
	AnswerID     string `json:"answer_id"`
	PatronID     string `json:"patron_id,omitempty"`
	InvitationID string `json:"invitation_id,omitempty"`
	LibraryID    string `json:"library_id"`
	Channel      string `json:"channel"`
	Kind         string `json:"kind"`
	Day          string `json:"day"`
	Week         string `json:"week"`
	At           string `json:"at,omitempty"`
	Score        int    `json:"score"` // -1: not given
	NPS          int    `json:"nps"`   // -1: not given
	Comment      string `json:"comment,omitempty"`
}

type replyOp struct {
	ReplyID  string `json:"reply_id"`
	AnswerID string `json:"answer_id"`
	Text     string `json:"text"`
	Staff    string `json:"staff"`
	At       string `json:"at"`
}

type yswdOp struct {
	EntryID   string `json:"entry_id"`
	SaidEN    string `json:"said_en"`
	SaidFI    string `json:"said_fi"`
	DidEN     string `json:"did_en"`
	DidFI     string `json:"did_fi"`
	Published bool   `json:"published"`
	Deleted   bool   `json:"deleted,omitempty"`
	CreatedAt string `json:"created_at"`
	At        string `json:"at"`
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// Capability is feedback as a capability of branch.
func Capability() branch.Capability {
	ms, err := replicate.MigrationsFromFS("feedback", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	return branch.Capability{Name: "feedback", Kinds: []string{KindInvite, KindClose, KindAnswer, KindReply, KindYSWD},
		Apply: apply, Migrations: ms,
		StateTables: []string{"feedback_invitations", "feedback_answers", "feedback_replies", "feedback_yswd"},
		Export:      export, Erase: erase, PersonalKeys: personalKeys}
}

func decode(op replicate.Op, v any) error {
	if err := json.Unmarshal(op.Payload, v); err != nil {
		return fmt.Errorf("op %s: feedback: bad op payload: %w", op.ID(), err)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// apply folds feedback ops into their tables. Invitations, answers and
// replies are immutable (insert once); a close keeps the earliest time;
// an entry is last writer wins by the op's stamp.
func apply(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	for _, op := range ops {
		var err error
		switch op.Kind {
		case KindInvite:
			var p inviteOp
			if err := decode(op, &p); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO feedback_invitations (invitation_id, patron_id, library_id, channel, kind, ref,
				invited_at, week, expires_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (invitation_id) DO UPDATE SET
				patron_id=excluded.patron_id, library_id=excluded.library_id, channel=excluded.channel, kind=excluded.kind,
				ref=excluded.ref, invited_at=excluded.invited_at, week=excluded.week, expires_at=excluded.expires_at`,
				p.InvitationID, p.PatronID, p.LibraryID, p.Channel, p.Kind, p.Ref, p.At, p.Week, p.ExpiresAt)
		case KindClose:
			var p closeOp
			if err := decode(op, &p); err != nil {
				return err
			}
			err = closeInvitation(ctx, tx, p.InvitationID, p.At)
		case KindAnswer:
			var p answerOp
			if err := decode(op, &p); err != nil {
				return err
			}
			if _, err = tx.ExecContext(ctx, `INSERT INTO feedback_answers (answer_id, patron_id, invitation_id, library_id, channel,
				kind, day, week, at, score, nps, comment) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (answer_id) DO NOTHING`,
				p.AnswerID, p.PatronID, p.InvitationID, p.LibraryID, p.Channel, p.Kind, p.Day, p.Week, p.At, p.Score, p.NPS,
				p.Comment); err == nil && p.InvitationID != "" {
				err = closeInvitation(ctx, tx, p.InvitationID, p.At)
			}
		case KindReply:
			var p replyOp
			if err := decode(op, &p); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO feedback_replies (reply_id, answer_id, text, staff, at) VALUES (?,?,?,?,?)
				ON CONFLICT (reply_id) DO NOTHING`, p.ReplyID, p.AnswerID, p.Text, p.Staff, p.At)
		case KindYSWD:
			var p yswdOp
			if err := decode(op, &p); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO feedback_yswd (entry_id, said_en, said_fi, did_en, did_fi, published, deleted,
				created_at, updated_at, stamp) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (entry_id) DO UPDATE SET
				said_en=excluded.said_en, said_fi=excluded.said_fi, did_en=excluded.did_en, did_fi=excluded.did_fi,
				published=excluded.published, deleted=excluded.deleted, created_at=excluded.created_at,
				updated_at=excluded.updated_at, stamp=excluded.stamp WHERE excluded.stamp > feedback_yswd.stamp`,
				p.EntryID, p.SaidEN, p.SaidFI, p.DidEN, p.DidFI, b2i(p.Published), b2i(p.Deleted), p.CreatedAt, p.At,
				string(op.Stamp()))
		}
		if err != nil {
			return fmt.Errorf("op %s: feedback: %w", op.ID(), err)
		}
	}
	return nil
}

// closeInvitation records a close at, keeping the earliest.
func closeInvitation(ctx context.Context, tx *replicate.Tx, id, at string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO feedback_invitations (invitation_id, closed_at) VALUES (?,?)
		ON CONFLICT (invitation_id) DO UPDATE SET closed_at=excluded.closed_at
		WHERE feedback_invitations.closed_at='' OR excluded.closed_at < feedback_invitations.closed_at`, id, at)
	return err
}
