package feedback

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode/utf8"

	"stacks/branch"
	"stacks/branch/domain"
)

// AnswersFilter chooses answers to list: a branch ("" for all), answers
// with a comment only, at most Limit (0: 50), newest first.
type AnswersFilter struct {
	LibraryID   string
	PatronID    string
	WithComment bool
	Limit       int
}

// Answers lists answers with their replies, newest first.
func (s *Service) Answers(ctx context.Context, f AnswersFilter) ([]domain.FeedbackAnswer, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	db := s.svc.Read()
	rows, err := db.QueryContext(ctx, `SELECT answer_id, patron_id, invitation_id, library_id, channel, kind, day, week, at,
		score, nps, comment FROM feedback_answers WHERE (?1='' OR library_id=?1) AND (?2='' OR patron_id=?2)
		AND (?3=0 OR comment<>'') ORDER BY day DESC, at DESC, answer_id LIMIT ?4`, f.LibraryID, f.PatronID, b2i(f.WithComment), f.Limit)
	if err != nil {
		return nil, err
	}
	var out []domain.FeedbackAnswer
	for rows.Next() {
		var p answerOp
		if err := rows.Scan(&p.AnswerID, &p.PatronID, &p.InvitationID, &p.LibraryID, &p.Channel, &p.Kind, &p.Day, &p.Week, &p.At,
			&p.Score, &p.NPS, &p.Comment); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *answerOf(p))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Anonymous {
			continue
		}
		if out[i].Replies, err = s.replies(ctx, out[i].AnswerID); err != nil {
			return nil, err
		}
	}
	if out == nil {
		out = []domain.FeedbackAnswer{}
	}
	return out, nil
}

// Answer is one answer with its replies.
func (s *Service) AnswerByID(ctx context.Context, id string) (*domain.FeedbackAnswer, error) {
	var p answerOp
	err := s.svc.Read().QueryRowContext(ctx, `SELECT answer_id, patron_id, invitation_id, library_id, channel, kind, day, week, at,
		score, nps, comment FROM feedback_answers WHERE answer_id=?`, id).Scan(&p.AnswerID, &p.PatronID, &p.InvitationID,
		&p.LibraryID, &p.Channel, &p.Kind, &p.Day, &p.Week, &p.At, &p.Score, &p.NPS, &p.Comment)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSuchAnswer
	}
	if err != nil {
		return nil, err
	}
	a := answerOf(p)
	if a.Replies, err = s.replies(ctx, id); err != nil {
		return nil, err
	}
	return a, nil
}

// PatronAnswers are the patron's named answers with staff replies.
func (s *Service) PatronAnswers(ctx context.Context, patronID string) ([]domain.FeedbackAnswer, error) {
	if patronID == "" {
		return []domain.FeedbackAnswer{}, nil
	}
	return s.Answers(ctx, AnswersFilter{PatronID: patronID, Limit: 100})
}

func (s *Service) replies(ctx context.Context, answerID string) ([]domain.FeedbackReply, error) {
	rows, err := s.svc.Read().QueryContext(ctx, `SELECT reply_id, answer_id, text, staff, at FROM feedback_replies
		WHERE answer_id=? ORDER BY at, reply_id`, answerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.FeedbackReply
	for rows.Next() {
		var r domain.FeedbackReply
		if err := rows.Scan(&r.ReplyID, &r.AnswerID, &r.Text, &r.Staff, &r.At); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// YSWDFilter: published entries only (the public page) or all (staff).
type YSWDFilter struct{ PublishedOnly bool }

// Entries are the "you said, we did" entries, newest first.
func (s *Service) Entries(ctx context.Context, f YSWDFilter) ([]domain.YouSaidWeDid, error) {
	rows, err := s.svc.Read().QueryContext(ctx, `SELECT entry_id, said_en, said_fi, did_en, did_fi, published, created_at, updated_at
		FROM feedback_yswd WHERE deleted=0 AND (?1=0 OR published=1) ORDER BY created_at DESC, entry_id`, b2i(f.PublishedOnly))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.YouSaidWeDid{}
	for rows.Next() {
		var e domain.YouSaidWeDid
		if err := rows.Scan(&e.EntryID, &e.SaidEN, &e.SaidFI, &e.DidEN, &e.DidFI, &e.Published, &e.CreatedAt, &e.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Entry is one entry (not deleted).
func (s *Service) Entry(ctx context.Context, id string) (*domain.YouSaidWeDid, error) {
	var e domain.YouSaidWeDid
	err := s.svc.Read().QueryRowContext(ctx, `SELECT entry_id, said_en, said_fi, did_en, did_fi, published, created_at, updated_at
		FROM feedback_yswd WHERE entry_id=? AND deleted=0`, id).Scan(&e.EntryID, &e.SaidEN, &e.SaidFI, &e.DidEN, &e.DidFI,
		&e.Published, &e.CreatedAt, &e.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodeNotFound, "There is no such entry.")
	}
	return &e, err
}

// PutEntry creates (EntryID "") or replaces an entry. Both languages of
// "said" and "did" are required: the page is published in both.
func (s *Service) PutEntry(ctx context.Context, e domain.YouSaidWeDid) (*domain.YouSaidWeDid, error) {
	for _, f := range []*string{&e.SaidEN, &e.SaidFI, &e.DidEN, &e.DidFI} {
		*f = strings.TrimSpace(*f)
		if *f == "" || utf8.RuneCountInString(*f) > MaxText {
			return nil, domain.Invalid("Give what patrons said and what the library did, in English and Finnish, each 1 to %d characters.", MaxText)
		}
	}
	if e.EntryID == "" {
		id, err := s.newID()
		if err != nil {
			return nil, err
		}
		e.EntryID = id
	} else {
		old, err := s.Entry(ctx, e.EntryID)
		if err != nil {
			return nil, err
		}
		e.CreatedAt = old.CreatedAt
	}
	err := s.svc.Update(ctx, func(t *branch.Txn) error {
		if e.CreatedAt == "" {
			e.CreatedAt = t.Stamp()
		}
		e.UpdatedAt = t.Stamp()
		_, err := t.Emit(ctx, KindYSWD, yswdOp{EntryID: e.EntryID, SaidEN: e.SaidEN, SaidFI: e.SaidFI, DidEN: e.DidEN, DidFI: e.DidFI,
			Published: e.Published, CreatedAt: e.CreatedAt, At: e.UpdatedAt})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// DeleteEntry removes an entry from the page.
func (s *Service) DeleteEntry(ctx context.Context, id string) error {
	old, err := s.Entry(ctx, id)
	if err != nil {
		return err
	}
	return s.svc.Update(ctx, func(t *branch.Txn) error {
		_, err := t.Emit(ctx, KindYSWD, yswdOp{EntryID: id, Deleted: true, CreatedAt: old.CreatedAt, At: t.Stamp()})
		return err
	})
}
