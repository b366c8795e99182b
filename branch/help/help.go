// Package help is help on every channel: a patron asks for help at a
// kiosk, on the web or in an app, and the request goes into the help queue
// of a branch (where the kiosk stands, or the patron's home branch for the
// web and apps); staff claim it, answer it (the answer reaches the kiosk
// screen or the web page; the patron may reply, so a request is a short
// conversation) and close it. Any branch may take a request over.
//
// It is a capability of branch (branch.Capability): every step is a
// replicated op, folded by a deterministic, idempotent, commutative
// applier into help_requests and help_messages. Concurrent claims (two
// branches apart, two staff claiming at once) resolve the same way on
// every replica: the earliest claim by op stamp (HLC, then origin) holds
// the request, unless a takeover stamped later than it moved the request
// (the latest takeover wins). Answers are never lost: every message stays
// in the conversation whoever holds the request.
package help

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// Op kinds.
const (
	KindOpen     = "help.open"     // openOp
	KindClaim    = "help.claim"    // holdOp
	KindTakeOver = "help.takeover" // holdOp
	KindMessage  = "help.message"  // messageOp
	KindClose    = "help.close"    // closeOp
)

// MaxText is the longest message or answer, in characters.
const MaxText = 2000

type openOp struct {
	RequestID string `json:"request_id"`
	BranchID  string `json:"branch_id"`
	Channel   string `json:"channel"`
	Location  string `json:"location,omitempty"`
	PatronID  string `json:"patron_id,omitempty"`
	AskedBy   string `json:"asked_by"`
	Message   string `json:"message"`
	At        string `json:"at"`
}

// holdOp is a claim or a takeover: staff at a branch hold the request.
type holdOp struct {
	RequestID string `json:"request_id"`
	Staff     string `json:"staff"`
	BranchID  string `json:"branch_id"`
	At        string `json:"at"`
}

type messageOp struct {
	RequestID string `json:"request_id"`
	MessageID string `json:"message_id"`
	From      string `json:"from"`
	Author    string `json:"author"`
	Text      string `json:"text"`
	At        string `json:"at"`
	// PatronID names the patron whose request it is (not read by the
	// applier): erasure finds and redacts the conversation by it, and a
	// message that arrives after their erasure is erased on arrival.
	PatronID string `json:"patron_id,omitempty"`
}

type closeOp struct {
	RequestID string `json:"request_id"`
	By        string `json:"by"`
	At        string `json:"at"`
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// Capability is help requests as a capability of branch.
func Capability() branch.Capability {
	ms, err := replicate.MigrationsFromFS("help", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	return branch.Capability{Name: "help", Kinds: []string{KindOpen, KindClaim, KindTakeOver, KindMessage, KindClose},
		Apply: apply, Migrations: ms, StateTables: []string{"help_requests", "help_messages"},
		Export: export, Erase: erase, PersonalKeys: personalKeys}
}

func apply(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	for _, op := range ops {
		id, err := applyOne(ctx, tx, op)
		if err != nil {
			return fmt.Errorf("op %s: help: %w", op.ID(), err)
		}
		if err := derive(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

func applyOne(ctx context.Context, tx *replicate.Tx, op replicate.Op) (string, error) {
	stamp := string(op.Stamp())
	switch op.Kind {
	case KindOpen:
		var p openOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return "", fmt.Errorf("bad op payload: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO help_requests (request_id, routed_branch, channel, location, patron_id, asked_by, message, created_at, open_stamp)
			VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (request_id) DO UPDATE SET routed_branch=excluded.routed_branch, channel=excluded.channel,
			location=excluded.location, patron_id=excluded.patron_id, asked_by=excluded.asked_by, message=excluded.message, created_at=excluded.created_at,
			open_stamp=excluded.open_stamp`,
			p.RequestID, p.BranchID, p.Channel, p.Location, p.PatronID, p.AskedBy, p.Message, p.At, stamp)
		return p.RequestID, err
	case KindClaim:
		var p holdOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return "", fmt.Errorf("bad op payload: %w", err)
		}
		// The earliest claim holds.
		_, err := tx.ExecContext(ctx, `INSERT INTO help_requests (request_id, claim_stamp, claim_staff, claim_branch, claim_at) VALUES (?,?,?,?,?)
			ON CONFLICT (request_id) DO UPDATE SET claim_stamp=excluded.claim_stamp, claim_staff=excluded.claim_staff,
			claim_branch=excluded.claim_branch, claim_at=excluded.claim_at
			WHERE help_requests.claim_stamp='' OR excluded.claim_stamp < help_requests.claim_stamp`,
			p.RequestID, stamp, p.Staff, p.BranchID, p.At)
		return p.RequestID, err
	case KindTakeOver:
		var p holdOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return "", fmt.Errorf("bad op payload: %w", err)
		}
		// The latest takeover holds.
		_, err := tx.ExecContext(ctx, `INSERT INTO help_requests (request_id, take_stamp, take_staff, take_branch, take_at) VALUES (?,?,?,?,?)
			ON CONFLICT (request_id) DO UPDATE SET take_stamp=excluded.take_stamp, take_staff=excluded.take_staff,
			take_branch=excluded.take_branch, take_at=excluded.take_at
			WHERE excluded.take_stamp > help_requests.take_stamp`,
			p.RequestID, stamp, p.Staff, p.BranchID, p.At)
		return p.RequestID, err
	case KindMessage:
		var p messageOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return "", fmt.Errorf("bad op payload: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO help_messages (message_id, request_id, author_kind, author, body, at, stamp)
			VALUES (?,?,?,?,?,?,?) ON CONFLICT (message_id) DO NOTHING`, p.MessageID, p.RequestID, p.From, p.Author, p.Text, p.At, stamp); err != nil {
			return "", err
		}
		if p.From != domain.HelpFromStaff {
			_, err := tx.ExecContext(ctx, `INSERT INTO help_requests (request_id) VALUES (?) ON CONFLICT DO NOTHING`, p.RequestID)
			return p.RequestID, err
		}
		// The first staff answer is the first response.
		_, err := tx.ExecContext(ctx, `INSERT INTO help_requests (request_id, first_response_at) VALUES (?,?)
			ON CONFLICT (request_id) DO UPDATE SET first_response_at=excluded.first_response_at
			WHERE help_requests.first_response_at='' OR excluded.first_response_at < help_requests.first_response_at`, p.RequestID, p.At)
		return p.RequestID, err
	case KindClose:
		var p closeOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return "", fmt.Errorf("bad op payload: %w", err)
		}
		// The earliest close stands (ties: the smaller name).
		_, err := tx.ExecContext(ctx, `INSERT INTO help_requests (request_id, closed_at, closed_by) VALUES (?,?,?)
			ON CONFLICT (request_id) DO UPDATE SET closed_at=excluded.closed_at, closed_by=excluded.closed_by
			WHERE help_requests.closed_at='' OR excluded.closed_at < help_requests.closed_at
			OR (excluded.closed_at = help_requests.closed_at AND excluded.closed_by < help_requests.closed_by)`, p.RequestID, p.At, p.By)
		return p.RequestID, err
	}
	return "", fmt.Errorf("unknown op kind %s", op.Kind)
}

// derive recomputes the columns derived from a request's registers: who
// holds it, whose queue it is in, its status and its handling times.
func derive(ctx context.Context, tx *replicate.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `UPDATE help_requests SET
		owner_staff = CASE WHEN take_stamp > claim_stamp THEN take_staff ELSE claim_staff END,
		owned_at = CASE WHEN take_stamp > claim_stamp THEN take_at ELSE claim_at END,
		branch_id = CASE WHEN take_stamp > claim_stamp THEN take_branch WHEN claim_branch <> '' THEN claim_branch ELSE routed_branch END,
		status = CASE WHEN closed_at <> '' THEN 'closed' WHEN first_response_at <> '' THEN 'answered'
			WHEN claim_staff <> '' OR take_staff <> '' THEN 'claimed' ELSE 'open' END,
		first_response_seconds = CASE WHEN first_response_at <> '' AND created_at <> ''
			THEN round((julianday(first_response_at) - julianday(created_at)) * 86400.0, 3) ELSE -1 END,
		close_seconds = CASE WHEN closed_at <> '' AND created_at <> ''
			THEN round((julianday(closed_at) - julianday(created_at)) * 86400.0, 3) ELSE -1 END
		WHERE request_id = ?`, id)
	return err
}

// Service asks, claims, answers and closes help requests over a branch
// service whose node runs Capability().
type Service struct {
	svc  *branch.Service
	rand io.Reader
	// feedback invites the patron after staff close their request
	// (SetFeedback).
	feedback atomic.Pointer[Inviter]
}

// Inviter invites a patron to a survey after a transaction
// (branch/feedback's Service).
type Inviter interface {
	Invite(ctx context.Context, tr domain.FeedbackTrigger) (*domain.FeedbackInvitation, error)
}

// SetFeedback makes every request of an identified patron that staff
// close from now on invite the patron to a survey about the help
// (domain.FeedbackHelp, Ref the request, on the request's channel); the
// node wires it, and registers ClosedStands for the kind with the surveys.
func (s *Service) SetFeedback(f Inviter) { s.feedback.Store(&f) }

// New returns the help requests of svc; rnd makes IDs (nil: crypto/rand).
func New(svc *branch.Service, rnd io.Reader) *Service {
	if rnd == nil {
		rnd = rand.Reader
	}
	return &Service{svc: svc, rand: rnd}
}

// Branch is the branch of this node: the queue its desk sees first.
func (s *Service) Branch() string { return s.svc.Branch() }

func (s *Service) newID() string {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		panic(fmt.Sprintf("help: randomness failed: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Ask is a new request.
type Ask struct {
	// Channel is kiosk, web, app or api.
	Channel string
	Message string
	// PatronID is the patron asking, or "" for someone anonymous at a
	// kiosk.
	PatronID string
	// Location is where the kiosk stands.
	Location string
}

// Channels a request may come through.
var Channels = []string{string(domain.ChannelKiosk), string(domain.ChannelWeb), string(domain.ChannelApp), string(domain.ChannelAPI)}

// Refusals.
var (
	ErrNotFound    = domain.Fail(domain.CodeNotFound, "There is no such help request.")
	errEmpty       = domain.Invalid("Write a message: what do you need help with?")
	errTooLong     = domain.Invalid("The message is too long: at most %d characters.", MaxText)
	errClosed      = domain.Invalid("This help request is closed.")
	errAnonymous   = domain.Invalid("Only a kiosk may ask for help without a patron.")
	errBadChannel  = domain.Invalid("The channel is one of %s.", strings.Join(Channels, ", "))
	errNoStaff     = domain.Fail(domain.CodeNotPermitted, "Only staff may claim, answer or take over a help request.")
	errOtherBranch = domain.Invalid("This request is in another branch's queue: take it over instead.")
)

func checkText(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", errEmpty
	case !utf8.ValidString(s):
		return "", domain.Invalid("The message is not valid text.")
	case utf8.RuneCountInString(s) > MaxText:
		return "", errTooLong
	}
	return s, nil
}

// Open puts a request into a queue: a kiosk's into this branch's (the
// kiosk talks to the branch it stands in), any other channel's into the
// patron's home branch's. It answers the request's ID.
func (s *Service) Open(ctx context.Context, a Ask) (string, error) {
	msg, err := checkText(a.Message)
	if err != nil {
		return "", err
	}
	ok := false
	for _, c := range Channels {
		ok = ok || c == a.Channel
	}
	if !ok {
		return "", errBadChannel
	}
	branchID := s.svc.Branch()
	if a.PatronID == "" && a.Channel != string(domain.ChannelKiosk) {
		return "", errAnonymous
	}
	if a.PatronID != "" {
		p, err := s.svc.Patron(ctx, a.PatronID)
		if err != nil {
			return "", err
		}
		if a.Channel != string(domain.ChannelKiosk) && p.HomeBranch != "" {
			branchID = p.HomeBranch
		}
	}
	id := s.newID()
	err = s.svc.Update(ctx, func(t *branch.Txn) error {
		_, err := t.Emit(ctx, KindOpen, openOp{RequestID: id, BranchID: branchID, Channel: a.Channel, Location: strings.TrimSpace(a.Location),
			PatronID: a.PatronID, AskedBy: t.Actor().ID, Message: msg, At: t.Stamp()})
		return err
	})
	return id, err
}

func isStaff(a domain.Actor) bool {
	switch a.Role {
	case domain.RoleCirculation, domain.RoleSupervisor, domain.RoleAdmin:
		return true
	}
	return false
}

// row reads a request's registers inside a command.
type row struct {
	branchID, owner, closedAt, createdAt, patronID string
}

func readRow(ctx context.Context, q replicate.Querier, id string) (row, error) {
	var r row
	err := q.QueryRowContext(ctx, `SELECT branch_id, owner_staff, closed_at, created_at, patron_id FROM help_requests WHERE request_id=?`, id).
		Scan(&r.branchID, &r.owner, &r.closedAt, &r.createdAt, &r.patronID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && r.createdAt == "") {
		return r, ErrNotFound
	}
	return r, err
}

// staffCommand runs fn on an open request as staff.
func (s *Service) staffCommand(ctx context.Context, id string, fn func(t *branch.Txn, r row) error) error {
	if !isStaff(domain.ActorFrom(ctx)) {
		return errNoStaff
	}
	return s.svc.Update(ctx, func(t *branch.Txn) error {
		r, err := readRow(ctx, t, id)
		if err != nil {
			return err
		}
		if r.closedAt != "" {
			return errClosed
		}
		return fn(t, r)
	})
}

// Claim makes the acting staff login the one who handles a request of
// this branch's queue. Claiming one's own claim again is no change.
func (s *Service) Claim(ctx context.Context, id string) error {
	return s.staffCommand(ctx, id, func(t *branch.Txn, r row) error {
		return s.claim(ctx, t, id, r)
	})
}

func (s *Service) claim(ctx context.Context, t *branch.Txn, id string, r row) error {
	me := t.Actor().ID
	switch {
	case r.owner == me:
		return nil
	case r.owner != "":
		return domain.Invalid("%s has already claimed this request: take it over if you are to handle it.", r.owner)
	case r.branchID != s.svc.Branch():
		return errOtherBranch
	}
	_, err := t.Emit(ctx, KindClaim, holdOp{RequestID: id, Staff: me, BranchID: s.svc.Branch(), At: t.Stamp()})
	return err
}

// TakeOver moves a request, from any branch's queue or any staff, to the
// acting staff login at this branch.
func (s *Service) TakeOver(ctx context.Context, id string) error {
	return s.staffCommand(ctx, id, func(t *branch.Txn, r row) error {
		if r.owner == t.Actor().ID && r.branchID == s.svc.Branch() {
			return nil
		}
		_, err := t.Emit(ctx, KindTakeOver, holdOp{RequestID: id, Staff: t.Actor().ID, BranchID: s.svc.Branch(), At: t.Stamp()})
		return err
	})
}

// Answer adds a staff answer; an unclaimed request of this branch is
// claimed by the one answering it.
func (s *Service) Answer(ctx context.Context, id, text string) error {
	text, err := checkText(text)
	if err != nil {
		return err
	}
	return s.staffCommand(ctx, id, func(t *branch.Txn, r row) error {
		if r.owner == "" {
			if err := s.claim(ctx, t, id, r); err != nil {
				return err
			}
		}
		_, err := t.Emit(ctx, KindMessage, messageOp{RequestID: id, MessageID: s.newID(), From: domain.HelpFromStaff,
			Author: t.Actor().ID, Text: text, At: t.Stamp(), PatronID: r.patronID})
		return err
	})
}

// Reply adds the patron's reply (from the web, an app or the kiosk that
// asked); the edge checks that the caller asked the request.
func (s *Service) Reply(ctx context.Context, id, text string) error {
	text, err := checkText(text)
	if err != nil {
		return err
	}
	return s.svc.Update(ctx, func(t *branch.Txn) error {
		r, err := readRow(ctx, t, id)
		if err != nil {
			return err
		}
		if r.closedAt != "" {
			return errClosed
		}
		_, err = t.Emit(ctx, KindMessage, messageOp{RequestID: id, MessageID: s.newID(), From: domain.HelpFromPatron,
			Author: t.Actor().ID, Text: text, At: t.Stamp(), PatronID: r.patronID})
		return err
	})
}

// Close closes a request (staff, or the patron who asked: the edge
// decides who may). Closing a closed request is no change.
func (s *Service) Close(ctx context.Context, id string) error {
	var closed row
	var channel string
	err := s.svc.Update(ctx, func(t *branch.Txn) error {
		r, err := readRow(ctx, t, id)
		if err != nil || r.closedAt != "" {
			return err
		}
		if err := t.QueryRowContext(ctx, `SELECT channel FROM help_requests WHERE request_id=?`, id).Scan(&channel); err != nil {
			return err
		}
		_, err = t.Emit(ctx, KindClose, closeOp{RequestID: id, By: t.Actor().ID, At: t.Stamp()})
		closed = r
		return err
	})
	if err != nil {
		return err
	}
	// Staff closed an identified patron's request: ask how the help was.
	// Best effort: a failure costs the invitation, never the close.
	if f := s.feedback.Load(); f != nil && closed.patronID != "" && isStaff(domain.ActorFrom(ctx)) {
		tr := domain.FeedbackTrigger{PatronID: closed.patronID, Kind: domain.FeedbackHelp, Ref: id, LibraryID: closed.branchID}
		if ch := domain.Channel(channel); ch == domain.ChannelKiosk || ch == domain.ChannelWeb || ch == domain.ChannelApp || ch == domain.ChannelAPI {
			tr.Channel = ch
		}
		(*f).Invite(ctx, tr)
	}
	return nil
}

// ClosedStands is what "still stands" means for a survey about a help
// request closed (branch/feedback's Stands; Ref the request): the request
// is the patron's and closed, not withdrawn (by the patron, or by the
// kiosk that asked for them); after a merge the earliest close holds, so
// a withdrawal that came first undoes the invitation.
func ClosedStands(ctx context.Context, q replicate.Querier, inv domain.FeedbackInvitation, _ time.Time) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM help_requests WHERE request_id=? AND patron_id=? AND closed_at<>''
		AND closed_by<>patron_id AND closed_by<>'patron:'||patron_id AND NOT (channel='kiosk' AND closed_by=asked_by))`, inv.Ref, inv.PatronID).Scan(&n)
	return n == 1, err
}

// AskFor opens a request of the patron through channel (the patron web
// and apps).
func (s *Service) AskFor(ctx context.Context, channel, patronID, message string) (string, error) {
	return s.Open(ctx, Ask{Channel: channel, PatronID: patronID, Message: message})
}
