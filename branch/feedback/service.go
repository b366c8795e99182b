package feedback

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// Defaults.
const (
	// DefaultEvery is how often a patron may be invited at most.
	DefaultEvery = 30 * 24 * time.Hour
	// DefaultOpenFor is how long an invitation may be answered.
	DefaultOpenFor = 7 * 24 * time.Hour
	// MaxComment is the longest free text, in characters.
	MaxComment = 2000
	// MaxText is the longest reply or "you said, we did" field.
	MaxText = 4000
)

// AnonymousActor is the actor of an anonymous answer's op: it names no
// patron, kiosk or staff member.
const AnonymousActor = "anonymous"

// Config configures a Service.
type Config struct {
	// Every is the least time between two invitations of one patron; 0
	// means DefaultEvery. Nodes cut off from each other may each invite a
	// patron in the same period (each checks its own knowledge); once
	// their ops meet, only the earliest of those invitations is offered,
	// on every replica alike (see open).
	Every time.Duration
	// PlantOfferAll is a bug for the simulation to catch: every
	// invitation is offered, the later of two concurrent ones too.
	PlantOfferAll bool
	// OpenFor is how long an invitation stays open; 0: DefaultOpenFor.
	OpenFor time.Duration
	// Rand makes IDs (random, not time-ordered, so an anonymous answer's
	// ID does not tell when it was given); nil means crypto/rand.
	Rand io.Reader
}

// Stands reports whether the transaction an invitation is about still
// stands (a renewal not undone, a loan not returned, ...), as of now.
type Stands func(ctx context.Context, q replicate.Querier, inv domain.FeedbackInvitation, now time.Time) (bool, error)

// Service is the surveys of a branch service whose node runs
// Capability().
type Service struct {
	svc *branch.Service
	cfg Config

	mu    sync.RWMutex
	kinds map[string]Stands
}

// New returns the surveys of svc, knowing the core's kinds (renewal,
// hold_pickup, kiosk_session); other capabilities Register theirs.
func New(svc *branch.Service, cfg Config) *Service {
	if cfg.Every <= 0 {
		cfg.Every = DefaultEvery
	}
	if cfg.OpenFor <= 0 {
		cfg.OpenFor = DefaultOpenFor
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	s := &Service{svc: svc, cfg: cfg, kinds: map[string]Stands{}}
	s.Register(domain.FeedbackRenewal, renewalStands)
	s.Register(domain.FeedbackHoldPickup, pickupStands)
	s.Register(domain.FeedbackKioskSession, kioskSessionStands)
	return s
}

// Register tells the service how to check that a transaction of kind
// still stands; a capability (events, help) registers its kind at wiring.
func (s *Service) Register(kind string, f Stands) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kinds[kind] = f
}

func (s *Service) stands(kind string) (Stands, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.kinds[kind]
	return f, ok
}

// Every is the least time between two invitations of one patron.
func (s *Service) Every() time.Duration { return s.cfg.Every }

func (s *Service) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.cfg.Rand, b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// Week is the ISO week of t, as 2026-W49.
func Week(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

var channels = map[domain.Channel]bool{domain.ChannelDesk: true, domain.ChannelKiosk: true, domain.ChannelWeb: true,
	domain.ChannelApp: true, domain.ChannelEmail: true, domain.ChannelAPI: true}

// Refusals.
var (
	ErrNotOpen      = domain.Fail(domain.CodeInvalid, "This survey is no longer open.")
	ErrNoInvitation = domain.Fail(domain.CodeNotFound, "There is no such survey invitation.")
	ErrEmpty        = domain.Invalid("Give a satisfaction score, a recommendation score or a comment.")
	ErrNoSuchAnswer = domain.Fail(domain.CodeNotFound, "There is no such answer.")
	ErrAnonymous    = domain.Invalid("This answer is anonymous: there is nobody to reply to.")
)

// Invite invites the patron to a survey about a transaction, unless they
// were invited less than Every ago or the transaction no longer stands;
// then it answers nil and no error. Any capability may call it after its
// transaction (an event attended, a help request closed).
func (s *Service) Invite(ctx context.Context, tr domain.FeedbackTrigger) (*domain.FeedbackInvitation, error) {
	if tr.PatronID == "" {
		return nil, domain.Invalid("Name the patron to invite.")
	}
	f, ok := s.stands(tr.Kind)
	if !ok {
		return nil, domain.Invalid("There is no survey about %q.", tr.Kind)
	}
	if tr.Channel == "" {
		tr.Channel = domain.ActorFrom(ctx).Channel
	}
	if !channels[tr.Channel] {
		return nil, domain.Invalid("There is no channel %q.", tr.Channel)
	}
	if tr.LibraryID == "" {
		tr.LibraryID = s.svc.Branch()
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	var out *domain.FeedbackInvitation
	err = s.svc.Update(ctx, func(t *branch.Txn) error {
		now := t.Now()
		var last string
		if err := t.QueryRowContext(ctx, `SELECT coalesce(max(invited_at), '') FROM feedback_invitations WHERE patron_id=?`,
			tr.PatronID).Scan(&last); err != nil {
			return err
		}
		if last != "" && last > now.UTC().Add(-s.cfg.Every).Format(domain.TimeLayout) {
			return nil
		}
		inv := domain.FeedbackInvitation{InvitationID: id, PatronID: tr.PatronID, LibraryID: tr.LibraryID, Channel: tr.Channel,
			Kind: tr.Kind, Ref: tr.Ref, InvitedAt: t.Stamp(), ExpiresAt: now.UTC().Add(s.cfg.OpenFor).Format(domain.TimeLayout)}
		ok, err := f(ctx, t, inv, now)
		if err != nil || !ok {
			return err
		}
		if _, err := t.Emit(ctx, KindInvite, inviteOp{InvitationID: id, PatronID: inv.PatronID, LibraryID: inv.LibraryID,
			Channel: string(inv.Channel), Kind: inv.Kind, Ref: inv.Ref, At: inv.InvitedAt, Week: Week(now),
			ExpiresAt: inv.ExpiresAt}); err != nil {
			return err
		}
		out = &inv
		return nil
	})
	return out, err
}

const invitationCols = `invitation_id, patron_id, library_id, channel, kind, ref, invited_at, expires_at, closed_at`

func scanInvitation(sc interface{ Scan(...any) error }) (domain.FeedbackInvitation, error) {
	var i domain.FeedbackInvitation
	var ch string
	err := sc.Scan(&i.InvitationID, &i.PatronID, &i.LibraryID, &ch, &i.Kind, &i.Ref, &i.InvitedAt, &i.ExpiresAt, &i.ClosedAt)
	i.Channel = domain.Channel(ch)
	return i, err
}

// Invitation is one invitation.
func (s *Service) Invitation(ctx context.Context, id string) (*domain.FeedbackInvitation, error) {
	i, err := scanInvitation(s.svc.Read().QueryRowContext(ctx, `SELECT `+invitationCols+` FROM feedback_invitations
		WHERE invitation_id=? AND patron_id<>''`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoInvitation
	}
	return &i, err
}

// open reports whether an invitation may still be answered now: not
// expired and its transaction still standing.
func (s *Service) open(ctx context.Context, q replicate.Querier, inv domain.FeedbackInvitation, now time.Time) (bool, error) {
	if now.UTC().Format(domain.TimeLayout) >= inv.ExpiresAt {
		return false, nil
	}
	if superseded, err := s.superseded(ctx, q, inv); err != nil || superseded {
		return false, err
	}
	f, ok := s.stands(inv.Kind)
	if !ok {
		return false, nil
	}
	return f(ctx, q, inv, now)
}

// superseded reports whether an earlier invitation of the same patron,
// less than Every before inv, exists: two nodes cut off from each other
// both invited the patron. Only the earliest (by time, then ID) is
// offered, the same one on every replica once their ops have met, so the
// patron is asked once a period. One answered already stays answered.
func (s *Service) superseded(ctx context.Context, q replicate.Querier, inv domain.FeedbackInvitation) (bool, error) {
	if s.cfg.PlantOfferAll {
		return false, nil
	}
	at, err := time.Parse(domain.TimeLayout, inv.InvitedAt)
	if err != nil {
		return false, fmt.Errorf("feedback: invitation %s: %w", inv.InvitationID, err)
	}
	var n int
	err = q.QueryRowContext(ctx, `SELECT count(*) FROM feedback_invitations WHERE patron_id=? AND invitation_id<>?
		AND (invited_at<? OR (invited_at=? AND invitation_id<?)) AND invited_at>?`, inv.PatronID, inv.InvitationID,
		inv.InvitedAt, inv.InvitedAt, inv.InvitationID, at.Add(-s.cfg.Every).Format(domain.TimeLayout)).Scan(&n)
	return n > 0, err
}

// Pending are the patron's invitations still to take up: not closed, not
// expired, their transaction still standing; newest first.
func (s *Service) Pending(ctx context.Context, patronID string) ([]domain.FeedbackInvitation, error) {
	now := s.svc.Now()
	rows, err := s.svc.Read().QueryContext(ctx, `SELECT `+invitationCols+` FROM feedback_invitations
		WHERE patron_id=? AND closed_at='' AND expires_at>? ORDER BY invited_at DESC`, patronID, now.UTC().Format(domain.TimeLayout))
	if err != nil {
		return nil, err
	}
	var all []domain.FeedbackInvitation
	for rows.Next() {
		i, err := scanInvitation(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, i)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []domain.FeedbackInvitation{}
	for _, i := range all {
		ok, err := s.open(ctx, s.svc.Read(), i, now)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, i)
		}
	}
	return out, nil
}

// Close takes up or declines the patron's invitation: it is no longer
// offered. Taking up and declining are the same op, so a later anonymous
// answer is not tied to it.
func (s *Service) Close(ctx context.Context, patronID, invitationID string) error {
	return s.svc.Update(ctx, func(t *branch.Txn) error {
		inv, err := scanInvitation(t.QueryRowContext(ctx, `SELECT `+invitationCols+` FROM feedback_invitations
			WHERE invitation_id=? AND patron_id<>''`, invitationID))
		switch {
		case errors.Is(err, sql.ErrNoRows) || (err == nil && inv.PatronID != patronID):
			return ErrNoInvitation
		case err != nil:
			return err
		case inv.ClosedAt != "":
			return nil
		}
		_, err = t.Emit(ctx, KindClose, closeOp{InvitationID: invitationID, At: t.Stamp()})
		return err
	})
}

// AnswerRequest is a patron's answer.
type AnswerRequest struct {
	// PatronID is who answers, as their login or card proves; "" when
	// unknown (then the answer is anonymous).
	PatronID string
	// Anonymous keeps the answer from naming the patron.
	Anonymous bool
	// InvitationID, if set, is the patron's invitation answered: the
	// answer takes its branch, channel and kind. An anonymous answer uses
	// it only for those and does not record it.
	InvitationID string
	// Channel is where the survey was answered when there is no
	// invitation; "" means the actor's.
	Channel domain.Channel
	Score   *int
	NPS     *int
	Comment string
}

// Validate checks the scores and comment.
func (r AnswerRequest) Validate() error {
	if r.Score == nil && r.NPS == nil && strings.TrimSpace(r.Comment) == "" {
		return ErrEmpty
	}
	if r.Score != nil && (*r.Score < 1 || *r.Score > 5) {
		return domain.Invalid("The satisfaction score is from 1 to 5.")
	}
	if r.NPS != nil && (*r.NPS < 0 || *r.NPS > 10) {
		return domain.Invalid("The recommendation score is from 0 to 10.")
	}
	if utf8.RuneCountInString(r.Comment) > MaxComment || !utf8.ValidString(r.Comment) {
		return domain.Invalid("The comment is longer than %d characters.", MaxComment)
	}
	return nil
}

func orNone(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// Answer records an answer. An anonymous answer's op is made by the actor
// "anonymous" and names no patron nor invitation; its time is its day.
func (s *Service) Answer(ctx context.Context, req AnswerRequest) (*domain.FeedbackAnswer, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	anon := req.Anonymous || req.PatronID == ""
	ch := req.Channel
	if ch == "" {
		ch = domain.ActorFrom(ctx).Channel
	}
	if anon {
		ctx = domain.WithActor(ctx, domain.Actor{ID: AnonymousActor, Channel: ch})
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	var out *domain.FeedbackAnswer
	err = s.svc.Update(ctx, func(t *branch.Txn) error {
		now := t.Now()
		p := answerOp{AnswerID: id, LibraryID: s.svc.Branch(), Channel: string(ch), Kind: domain.FeedbackGeneral,
			Day: now.Format(domain.DateLayout), Week: Week(now), Score: orNone(req.Score), NPS: orNone(req.NPS),
			Comment: strings.TrimSpace(req.Comment)}
		if req.InvitationID != "" {
			inv, err := scanInvitation(t.QueryRowContext(ctx, `SELECT `+invitationCols+` FROM feedback_invitations
				WHERE invitation_id=? AND patron_id<>''`, req.InvitationID))
			switch {
			case errors.Is(err, sql.ErrNoRows) || (err == nil && (req.PatronID == "" || inv.PatronID != req.PatronID)):
				return ErrNoInvitation
			case err != nil:
				return err
			}
			ok, err := s.open(ctx, t, inv, now)
			if err != nil {
				return err
			}
			var answered int
			if err := t.QueryRowContext(ctx, `SELECT count(*) FROM feedback_answers WHERE invitation_id=?`, inv.InvitationID).
				Scan(&answered); err != nil {
				return err
			}
			if !ok || answered > 0 {
				return ErrNotOpen
			}
			p.LibraryID, p.Channel, p.Kind = inv.LibraryID, string(inv.Channel), inv.Kind
			if !anon {
				p.InvitationID = inv.InvitationID
			}
		} else if !anon {
			if pt, err := s.svc.Patron(ctx, req.PatronID); err == nil && pt.HomeBranch != "" {
				p.LibraryID = pt.HomeBranch
			}
		}
		if !channels[domain.Channel(p.Channel)] {
			return domain.Invalid("There is no channel %q.", p.Channel)
		}
		if !anon {
			p.PatronID, p.At = req.PatronID, t.Stamp()
		}
		if _, err := t.Emit(ctx, KindAnswer, p); err != nil {
			return err
		}
		out = answerOf(p)
		return nil
	})
	return out, err
}

func answerOf(p answerOp) *domain.FeedbackAnswer {
	a := &domain.FeedbackAnswer{AnswerID: p.AnswerID, PatronID: p.PatronID, Anonymous: p.PatronID == "", InvitationID: p.InvitationID,
		LibraryID: p.LibraryID, Channel: domain.Channel(p.Channel), Kind: p.Kind, Day: p.Day, Week: p.Week, At: p.At, Comment: p.Comment}
	if p.Score >= 0 {
		v := p.Score
		a.Score = &v
	}
	if p.NPS >= 0 {
		v := p.NPS
		a.NPS = &v
	}
	return a
}

// Reply records a staff reply to a named answer.
func (s *Service) Reply(ctx context.Context, answerID, text string) (*domain.FeedbackReply, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxText {
		return nil, domain.Invalid("A reply is 1 to %d characters.", MaxText)
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	var out *domain.FeedbackReply
	err = s.svc.Update(ctx, func(t *branch.Txn) error {
		var patron string
		err := t.QueryRowContext(ctx, `SELECT patron_id FROM feedback_answers WHERE answer_id=?`, answerID).Scan(&patron)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNoSuchAnswer
		case err != nil:
			return err
		case patron == "":
			return ErrAnonymous
		}
		r := replyOp{ReplyID: id, AnswerID: answerID, Text: text, Staff: t.Actor().ID, At: t.Stamp()}
		if _, err := t.Emit(ctx, KindReply, r); err != nil {
			return err
		}
		out = &domain.FeedbackReply{ReplyID: r.ReplyID, AnswerID: r.AnswerID, Text: r.Text, Staff: r.Staff, At: r.At}
		return nil
	})
	return out, err
}
