// Package branch is the library domain of Stacks: patrons, catalogue, items,
// loans, holds, fees, calendars and circulation rules. Commands read local
// state, check the rules and emit ops through replicate; deterministic
// appliers fold the ops into state tables. It knows nothing of HTTP, SIP2,
// terminals or Raft. Its plain types (records, requests, error codes,
// roles) are in branch/domain, which links no storage; capabilities such
// as the audit log live in packages of their own under branch/.
package branch

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the domain's schema steps, the core's and then each of
// caps', run by replicate.OpenDB.
func Migrations(caps ...Capability) []replicate.Migration {
	ms, err := replicate.MigrationsFromFS("branch", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	for i := range ms {
		if ms[i].Version == compactClocksVersion {
			ms[i].Func = migrateClocks
		}
	}
	for _, c := range caps {
		ms = append(ms, c.Migrations...)
	}
	return ms
}

// Config configures a Service.
type Config struct {
	Branch   string         // the branch this node serves
	Location *time.Location // the library's local time zone, for dates
	Clock    replicate.Clock
	Rand     io.Reader // randomness for IDs and card numbers
	Logger   *slog.Logger
	// PINCost is the bcrypt cost for PINs and passwords.
	PINCost int
	// Capabilities are the capabilities the node runs (the applier's), for
	// the state hash.
	Capabilities []Capability
	// Deferral, if set, is the one the applier defers derived state with
	// (Applier.Deferring): CatchUp and RunCatchUp run the capabilities'
	// catch-up passes. Nil: the applier derives inline.
	Deferral *Deferral
}

// DefaultConfig returns the config of a branch in the local time zone.
func DefaultConfig(branchID string) Config {
	return Config{Branch: branchID, Location: time.Local, Clock: replicate.SystemClock{}, Rand: rand.Reader,
		Logger: slog.New(slog.DiscardHandler), PINCost: 10}
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Branch == "":
		return errors.New("branch: no branch id")
	case c.Location == nil:
		return errors.New("branch: no time zone")
	case c.Clock == nil:
		return errors.New("branch: no clock")
	case c.Rand == nil:
		return errors.New("branch: no randomness")
	}
	return checkCapabilities(c.Capabilities)
}

// Service runs the library's commands and queries for one branch.
type Service struct {
	log *replicate.Log
	db  *replicate.DB
	cfg Config
	lg  *slog.Logger

	registry registryCache
	policy   policyCache
	reads    readStmts
	tables   []string // the state tables, in hash order
}

// NewService returns a service over an opened op log.
func NewService(l *replicate.Log, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PINCost == 0 {
		cfg.PINCost = 10
	}
	s := &Service{log: l, db: l.DB(), cfg: cfg, lg: cfg.Logger.With("subsystem", "branch"), tables: StateTables(cfg.Capabilities...)}
	s.reads.db = s.db.Read()
	return s, nil
}

// hot is the read pool with prepared statements, for the lookups every
// kiosk message or desk scan makes.
func (s *Service) hot() querier { return &s.reads }

// Branch is the branch this service serves.
func (s *Service) Branch() string { return s.cfg.Branch }

// Log is the op log underneath.
func (s *Service) Log() *replicate.Log { return s.log }

// Now is the library's current time, in its time zone.
func (s *Service) Now() time.Time { return s.now() }

// now is the one reading of the clock a command uses, in library time.
func (s *Service) now() time.Time { return s.cfg.Clock.Now().In(s.cfg.Location) }

// newID returns a UUIDv7: time-ordered, random, generated at the origin.
func (s *Service) newID(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	if _, err := io.ReadFull(s.cfg.Rand, b[6:]); err != nil {
		panic(fmt.Sprintf("branch: randomness failed: %v", err))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// txn is one command's transaction: the replicate Tx plus who acts and the
// command's single reading of the clock. It keeps no context: the
// command's is passed to each call.
type txn struct {
	*replicate.Tx
	s     *Service
	actor domain.Actor
	now   time.Time
}

func (t *txn) emit(ctx context.Context, kind string, payload any) (replicate.Op, error) {
	if policyKinds[kind] {
		t.forgetPolicy()
	}
	return t.Emit(ctx, kind, payload, t.actor.ID, string(t.actor.Channel))
}

func (t *txn) today() string { return t.now.Format(domain.DateLayout) }

func txMemo(tx *replicate.Tx) map[string]any {
	if tx.Memo == nil {
		tx.Memo = map[string]any{}
	}
	return tx.Memo
}

func (t *txn) stamp() string { return t.now.UTC().Format(domain.TimeLayout) }

// update runs fn as one atomic, durable command.
// A rider in ctx (see Rider) runs in the first such command that emits ops.
func (s *Service) update(ctx context.Context, fn func(t *txn) error) error {
	actor := domain.ActorFrom(ctx)
	rd := riderFrom(ctx)
	took := false
	err := s.log.Update(ctx, func(tx *replicate.Tx) error {
		t := &txn{Tx: tx, s: s, actor: actor, now: s.now()}
		if err := fn(t); err != nil {
			return err
		}
		if rd == nil || len(tx.Emitted()) == 0 || !rd.take() {
			return nil
		}
		took = true
		return rd.fn(ctx, &Txn{Tx: tx.Tx, t: t}, append([]replicate.Op(nil), tx.Emitted()...))
	})
	if took {
		rd.settle(err == nil)
	}
	return err
}
