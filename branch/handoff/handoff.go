// Package handoff is the handoff between channels: a patron makes a
// short-lived, single-use code on the web or in an app, carrying a pending
// intent ("pick up my ready holds", "pay at the desk", "log me in at the
// kiosk"), and finishes it at the desk or the kiosk by showing the code as
// a QR code or typing it (8 characters from an alphabet without look-alike
// characters).
//
// The code is a random bearer secret bound to the patron; only its HMAC
// under the cluster key is stored and replicated (a handoff.issue op), so
// the op log does not give codes away and a code is valid on every node
// that shares the key. A code is used once cluster-wide: in a cluster,
// issuing and using are decided by central's Raft state machine (decider
// "handoff", Decide), which sees every use in one order; a standalone
// appliance decides itself in one SQLite transaction. Either way the use
// is a handoff.use op, so every node refuses the code afterwards.
package handoff

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// Op kinds.
const (
	KindIssue = "handoff.issue" // issueOp
	KindUse   = "handoff.use"   // useOp
)

// Intents.
const (
	IntentPickupHolds = "pickup_holds"
	IntentPayAtDesk   = "pay_at_desk"
	IntentKioskLogin  = "kiosk_login"
)

// Intents are the intents a code may carry.
var Intents = []string{IntentPickupHolds, IntentPayAtDesk, IntentKioskLogin}

// Alphabet is the typed code's alphabet: digits and capitals without 0, O,
// 1, I and L, which are misread.
const Alphabet = domain.HandoffAlphabet

// CodeLen is the typed code's length: 31^8, about 8.5e11 codes.
const CodeLen = domain.HandoffCodeLen

// QRPrefix starts a handoff code shown as a QR code, so a scanner tells it
// from a card number.
const QRPrefix = domain.HandoffQRPrefix

// DefaultTTL is how long a code lasts.
const DefaultTTL = 10 * time.Minute

type issueOp struct {
	Hash      string `json:"code_hash"`
	PatronID  string `json:"patron_id"`
	Intent    string `json:"intent"`
	IssuedAt  string `json:"issued_at"`
	ExpiresAt string `json:"expires_at"`
}

type useOp struct {
	Hash string `json:"code_hash"`
	At   string `json:"at"`
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// Capability is the handoff codes as a capability of branch.
func Capability() branch.Capability {
	ms, err := replicate.MigrationsFromFS("handoff", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	return branch.Capability{Name: "handoff", Kinds: []string{KindIssue, KindUse}, Apply: apply, Migrations: ms,
		StateTables: []string{"handoff_codes"}, Export: export, Erase: erase}
}

func apply(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	for _, op := range ops {
		switch op.Kind {
		case KindIssue:
			var p issueOp
			if err := json.Unmarshal(op.Payload, &p); err != nil {
				return fmt.Errorf("op %s: handoff: bad op payload: %w", op.ID(), err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO handoff_codes (code_hash, patron_id, intent, issued_at, expires_at)
				VALUES (?,?,?,?,?) ON CONFLICT (code_hash) DO UPDATE SET patron_id=excluded.patron_id, intent=excluded.intent,
				issued_at=excluded.issued_at, expires_at=excluded.expires_at`, p.Hash, p.PatronID, p.Intent, p.IssuedAt, p.ExpiresAt); err != nil {
				return err
			}
		case KindUse:
			var p useOp
			if err := json.Unmarshal(op.Payload, &p); err != nil {
				return fmt.Errorf("op %s: handoff: bad op payload: %w", op.ID(), err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO handoff_codes (code_hash, used_at, used_channel) VALUES (?,?,?)
				ON CONFLICT (code_hash) DO UPDATE SET used_at=excluded.used_at, used_channel=excluded.used_channel
				WHERE handoff_codes.used_at='' OR excluded.used_at < handoff_codes.used_at`, p.Hash, p.At, op.Channel); err != nil {
				return err
			}
		}
	}
	return nil
}

// Remote decides requests elsewhere: central's Raft state machine, through
// a central node. It answers the decision's reply and ops.
type Remote interface {
	Decide(ctx context.Context, request []byte) (reply []byte, ops []replicate.Op, err error)
}

// Config configures a Service.
type Config struct {
	// Key is the cluster key: codes are stored as their HMAC under it.
	Key []byte
	// TTL is how long a code lasts; 0 means DefaultTTL.
	TTL time.Duration
	// Rand makes codes; nil means crypto/rand.
	Rand io.Reader
	// Remote, if set, decides issues and uses (a node of a cluster).
	Remote Remote
	// Feedback, if set, invites the patron to a survey after a pickup
	// (branch/feedback).
	Feedback Inviter
}

// Inviter invites a patron to a survey after a transaction.
type Inviter interface {
	Invite(ctx context.Context, tr domain.FeedbackTrigger) (*domain.FeedbackInvitation, error)
}

// Service issues and redeems handoff codes over a branch service whose
// node runs Capability().
type Service struct {
	svc *branch.Service
	cfg Config
}

// New returns the handoff codes of svc.
func New(svc *branch.Service, cfg Config) (*Service, error) {
	if len(cfg.Key) < 16 {
		return nil, errors.New("handoff: the key is shorter than 16 bytes")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Service{svc: svc, cfg: cfg}, nil
}

// Issued is a new code, shown to the patron only.
type Issued struct {
	Code      string `json:"code"`
	QR        string `json:"qr"`
	Intent    string `json:"intent"`
	ExpiresAt string `json:"expires_at"`
}

// Redeemed is what a used code carried.
type Redeemed struct {
	PatronID string `json:"patron_id"`
	Intent   string `json:"intent"`
}

// Normalize reads a typed or scanned code (domain.NormalizeHandoff).
func Normalize(s string) (string, bool) { return domain.NormalizeHandoff(s) }

// LooksLike reports whether s could be a handoff code
// (domain.LooksLikeHandoff).
func LooksLike(s string) bool { return domain.LooksLikeHandoff(s) }

// IsUnknown reports whether err is the refusal of a code that was never
// issued (as opposed to used or expired).
func IsUnknown(err error) bool {
	var de *domain.Error
	return errors.As(err, &de) && de.Message == errUnknown.Message
}

func (s *Service) hash(code string) string {
	m := hmac.New(sha256.New, s.cfg.Key)
	m.Write([]byte("handoff1:" + code))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Service) newCode() (string, error) {
	for {
		c, err := s.drawCode()
		if err != nil || LooksLike(c) {
			return c, err
		}
	}
}

func (s *Service) drawCode() (string, error) {
	var b [CodeLen]byte
	out := make([]byte, CodeLen)
	for i := 0; i < CodeLen; {
		if _, err := io.ReadFull(s.cfg.Rand, b[:1]); err != nil {
			return "", err
		}
		// Rejection sampling keeps every character equally likely.
		if int(b[0]) >= 256-256%len(Alphabet) {
			continue
		}
		out[i] = Alphabet[int(b[0])%len(Alphabet)]
		i++
	}
	return string(out), nil
}

// request is one decision: issue or use.
type request struct {
	Op       string       `json:"op"`
	Hash     string       `json:"code_hash"`
	PatronID string       `json:"patron_id,omitempty"`
	Intent   string       `json:"intent,omitempty"`
	TTL      int64        `json:"ttl_seconds,omitempty"`
	Actor    domain.Actor `json:"actor"`
}

type reply struct {
	Refusal  *domain.Error `json:"refusal,omitempty"`
	Redeemed *Redeemed     `json:"redeemed,omitempty"`
	Expires  string        `json:"expires_at,omitempty"`
}

// Issue makes a code for the patron's intent.
func (s *Service) Issue(ctx context.Context, patronID, intent string) (*Issued, error) {
	if !validIntent(intent) {
		return nil, domain.Invalid("There is no handoff %q; choose %s.", intent, strings.Join(Intents, ", "))
	}
	if _, err := s.svc.Patron(ctx, patronID); err != nil {
		return nil, err
	}
	code, err := s.newCode()
	if err != nil {
		return nil, err
	}
	rep, err := s.do(ctx, request{Op: "issue", Hash: s.hash(code), PatronID: patronID, Intent: intent, TTL: int64(s.cfg.TTL / time.Second)})
	if err != nil {
		return nil, err
	}
	return &Issued{Code: code, QR: QRPrefix + code, Intent: intent, ExpiresAt: rep.Expires}, nil
}

// Redeem uses a code once: the patron and intent it carried, or a
// refusal when it is unknown, used or expired.
func (s *Service) Redeem(ctx context.Context, code string) (*Redeemed, error) {
	c, ok := Normalize(code)
	if !ok {
		return nil, errUnknown
	}
	rep, err := s.do(ctx, request{Op: "use", Hash: s.hash(c)})
	if err != nil {
		return nil, err
	}
	return rep.Redeemed, nil
}

func validIntent(i string) bool {
	for _, x := range Intents {
		if x == i {
			return true
		}
	}
	return false
}

func (s *Service) do(ctx context.Context, req request) (*reply, error) {
	req.Actor = domain.ActorFrom(ctx)
	if s.cfg.Remote == nil {
		var rep *reply
		err := s.svc.Update(ctx, func(t *branch.Txn) error {
			var err error
			rep, err = decide(ctx, t, t.Now(), req, func(ctx context.Context, kind string, p any) error {
				_, err := t.Emit(ctx, kind, p)
				return err
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		if rep.Refusal != nil {
			return nil, rep.Refusal
		}
		return rep, nil
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	out, ops, err := s.cfg.Remote.Decide(ctx, body)
	if err != nil {
		return nil, fmt.Errorf("handoff: the central site cannot be reached to decide the code: %w", err)
	}
	if len(ops) > 0 {
		if _, err := s.svc.Log().Integrate(ctx, ops); err != nil {
			return nil, fmt.Errorf("handoff: store the decision's ops: %w", err)
		}
	}
	var rep reply
	if err := json.Unmarshal(out, &rep); err != nil {
		return nil, fmt.Errorf("handoff: bad reply from central: %w", err)
	}
	if rep.Refusal != nil {
		return nil, rep.Refusal
	}
	return &rep, nil
}

// Refusals.
var (
	errUnknown = domain.Invalid("This is not a valid handoff code.")
	errUsed    = domain.Invalid("This handoff code has already been used.")
	errExpired = domain.Invalid("This handoff code has expired; make a new one.")
)

// Decide decides an encoded request inside a replicated state machine's
// transaction (central's Raft FSM): q is the transaction, now the
// request's time (the same on every replica), emit appends an op. A
// refusal is part of the reply; an error is a failure of the write.
func Decide(ctx context.Context, q replicate.Querier, now time.Time, payload []byte,
	emit func(ctx context.Context, kind string, payload any, actor, channel string) error) ([]byte, error) {
	var req request
	if err := json.Unmarshal(payload, &req); err != nil {
		return json.Marshal(reply{Refusal: domain.Invalid("Bad handoff request: %v", err)})
	}
	rep, err := decide(ctx, q, now, req, func(ctx context.Context, kind string, p any) error {
		return emit(ctx, kind, p, req.Actor.ID, string(req.Actor.Channel))
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(rep)
}

const timeLayout = "2006-01-02T15:04:05.000Z"

func decide(ctx context.Context, q replicate.Querier, now time.Time, req request, emit func(ctx context.Context, kind string, p any) error) (*reply, error) {
	stamp := now.UTC().Format(timeLayout)
	switch req.Op {
	case "issue":
		if req.TTL <= 0 || req.TTL > 24*3600 || !validIntent(req.Intent) || req.PatronID == "" || req.Hash == "" {
			return &reply{Refusal: domain.Invalid("Bad handoff request.")}, nil
		}
		exp := now.UTC().Add(time.Duration(req.TTL) * time.Second).Format(timeLayout)
		err := emit(ctx, KindIssue, issueOp{Hash: req.Hash, PatronID: req.PatronID, Intent: req.Intent, IssuedAt: stamp, ExpiresAt: exp})
		return &reply{Expires: exp}, err
	case "use":
		var patron, intent, expires, used string
		err := q.QueryRowContext(ctx, `SELECT patron_id, intent, expires_at, used_at FROM handoff_codes WHERE code_hash=?`, req.Hash).
			Scan(&patron, &intent, &expires, &used)
		switch {
		case errors.Is(err, sql.ErrNoRows) || (err == nil && patron == ""):
			return &reply{Refusal: errUnknown}, nil
		case err != nil:
			return nil, err
		case used != "":
			return &reply{Refusal: errUsed}, nil
		case stamp >= expires:
			return &reply{Refusal: errExpired}, nil
		}
		if err := emit(ctx, KindUse, useOp{Hash: req.Hash, At: stamp}); err != nil {
			return nil, err
		}
		return &reply{Redeemed: &Redeemed{PatronID: patron, Intent: intent}}, nil
	}
	return &reply{Refusal: domain.Invalid("Bad handoff request.")}, nil
}
