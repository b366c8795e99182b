package branch

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
)

// A Capability is a part of the domain that lives in its own package under
// branch/ (branch/audit is the first; search, notices, events, ... follow)
// rather than in this one. The package builds its Capability and the wiring
// (node, simulations, tests) hands it to NewApplier, to Migrations and
// StateTables, and to the Service's Config; branch never imports it.
//
// A capability's commands run inside the core's command transaction
// (Service.Update: the actor, one reading of the clock, Txn.Emit), so its
// ops carry who made them and replicate like any other; its applier folds
// its own op kinds into its own tables, with the same rules as the core's
// appliers: deterministic, idempotent, commutative, time only from the op.
type Capability struct {
	// Name names the capability and its migrations' component (its own
	// numbered set, e.g. "audit" 1, 2, ...).
	Name string
	// Kinds are the op kinds it emits and applies; no two capabilities
	// (nor the core) share one.
	Kinds []string
	// Apply folds a batch of its ops (only its Kinds, in the batch's
	// order) into its tables. A local op comes as a batch of one.
	Apply func(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error
	// Migrations are its schema steps, all of component Name.
	Migrations []replicate.Migration
	// StateTables are the tables its ops fold into, hashed with the
	// core's (StateTables), in this order.
	StateTables []string
	// HashAfter, if set, is the state table after which StateTables are
	// hashed; if empty they follow every table before them. It exists for
	// capabilities that moved out of the core (audit), so that the state
	// hash of an existing database stays byte for byte what it was; a new
	// capability leaves it empty.
	HashAfter string
	// Availability, if set, completes a title's availability as of today
	// (a date in library time) from the capability's own tables (digital
	// lending counts the licences free).
	Availability func(ctx context.Context, q replicate.Querier, today string, b *domain.Biblio, a *domain.Availability) error
	// Touched, if set, runs in the applying transaction once a batch of
	// ops (or a local op) is applied and the state derived from it (an
	// item's status) re-derived, with the titles and copies the batch
	// touched. It is for state a capability derives from the core's tables
	// without ops of its own, such as the search index: local, never
	// replicated nor hashed. A capability with no Kinds needs no Apply.
	Touched func(ctx context.Context, tx *replicate.Tx, t Touched) error

	// Privacy (GDPR articles 15, 17 and 20; see branch/privacy). Every
	// capability whose tables hold anything about a patron sets Export and
	// Erase, and lists its payloads' personal keys in PersonalKeys; one
	// that holds nothing about patrons leaves them nil.
	//
	// Export, if set, is the capability's part of a patron's data export:
	// everything its tables hold about the patron, as a JSON-encodable
	// value (e.g. a []map[string]any of rows, see QueryMaps), nil if none.
	// It is keyed by the capability's Name in the export.
	Export func(ctx context.Context, q replicate.Querier, patronID string) (any, error)
	// Erase, if set, removes the patron's personal data from the
	// capability's tables: names, contact details, free text about them,
	// secrets (rows that are only about them may be deleted). What must
	// stay for the library's accounts or audit trail stays keyed by the
	// bare patron ID, a pseudonym once the patron record is erased. It
	// runs in the applying transaction of the erasure op and again on
	// every later batch whose ops name the erased patron (an edit made
	// on a partitioned node), so it must be deterministic and idempotent,
	// read only the state, and blank fields rather than depend on the
	// order it runs in.
	Erase func(ctx context.Context, tx *replicate.Tx, patronID string) error
	// PersonalKeys are the JSON object keys in the capability's op
	// payloads whose string values are personal data (an address, a
	// message's text): erasure blanks them in the stored payloads of the
	// erased patron's ops, and in such ops that arrive later by sync.
	PersonalKeys []string
	// Observe, if set, runs in the applying transaction after every batch
	// of ops (of every kind, after all appliers) is applied. It is for a
	// capability that must react to other capabilities' ops (privacy
	// redacts ops naming an erased patron); it has the appliers' duties.
	Observe func(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error
	// CatchUp, if set, derives what the capability's Observe or Touched
	// hook only noted, when the applier defers derived state (see
	// Deferral): the hook writes the keys to a changes table of its own in
	// the applying transaction, and CatchUp, in a later transaction of its
	// own, derives up to limit of them (all if limit <= 0), deletes them
	// and returns how many it derived. Derived state and the deletion
	// commit together, so a crash in between loses nothing and counts
	// nothing twice. It must derive what the inline hook would have.
	CatchUp func(ctx context.Context, tx *replicate.Tx, limit int) (int, error)
	// CatchUpFirst: a batch holding any of the capability's ops is applied
	// only after every capability's CatchUp has run in its transaction, so
	// that its ops meet derived state whole (privacy's erasure and
	// anonymisation: what was counted of a loan before its link to the
	// patron is cut stays counted, as when it was counted inline).
	CatchUpFirst bool
}

// Touched names the titles and copies a batch of ops wrote to or whose
// derived status it re-derived (a checkout, a return, a trap, an edit).
type Touched struct {
	Biblios []string
	Items   []string
}

// coreStateTables are the tables derived from the core's ops, in hash order.
var coreStateTables = []string{"libraries", "categories", "item_types", "patrons", "biblios", "items", "loans",
	"loan_renewals", "holds", "fees", "rules", "opening_hours", "closed_days", "staff", "overrides", "hold_traps",
	"conflicts", "conflict_resolutions", "pin_attempts", "registry_nodes"}

// StateTables are the tables derived from the op log of a node running
// caps, in the order the state hash reads them: the core's, each
// capability's placed after its HashAfter table, or else at the end in the
// order of caps.
func StateTables(caps ...Capability) []string {
	out := slices.Clone(coreStateTables)
	for _, c := range caps {
		at := len(out)
		if c.HashAfter != "" {
			if i := slices.Index(out, c.HashAfter); i >= 0 {
				at = i + 1
			}
		}
		out = slices.Insert(out, at, c.StateTables...)
	}
	return out
}

// checkCapabilities reports capabilities that cannot run together.
func checkCapabilities(caps []Capability) error {
	seen := map[string]string{}
	names := map[string]bool{"branch": true}
	for _, c := range caps {
		if c.Name == "" || names[c.Name] {
			return fmt.Errorf("branch: capability name %q is empty or taken", c.Name)
		}
		names[c.Name] = true
		if c.Apply == nil && len(c.Kinds) > 0 {
			return fmt.Errorf("branch: capability %s has no applier", c.Name)
		}
		for _, m := range c.Migrations {
			if m.Component != c.Name {
				return fmt.Errorf("branch: capability %s has a migration of %s", c.Name, m.Component)
			}
		}
		for _, k := range c.Kinds {
			if coreKind(k) {
				return fmt.Errorf("branch: capability %s claims the core's op kind %s", c.Name, k)
			}
			if other, ok := seen[k]; ok {
				return fmt.Errorf("branch: op kind %s claimed by %s and %s", k, other, c.Name)
			}
			seen[k] = c.Name
		}
	}
	return nil
}

// Txn is a capability's share of a command's transaction: SQL on the
// transaction, who acts, the command's one reading of the clock, and Emit.
// It keeps no context; the command's is passed to each call.
type Txn struct {
	*sql.Tx
	t *txn
}

// ExecContext runs a statement in the command's transaction (through the
// op log's transaction: its prepared statements, and on a central node's
// dry run the ops emitted so far applied first, so the command reads its
// own writes).
func (t *Txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.t.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the command's transaction (as ExecContext).
func (t *Txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.t.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query of at most one row in the command's
// transaction (as ExecContext).
func (t *Txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.t.Tx.QueryRowContext(ctx, query, args...)
}

// ScanOps reads the stored ops f selects (the op log's own reader: its
// table is in a compact form only replicate reads).
func (t *Txn) ScanOps(ctx context.Context, f replicate.OpFilter, fn func(replicate.Op) error) error {
	return t.t.Tx.ScanOps(ctx, f, fn)
}

// Actor is who runs the command.
func (t *Txn) Actor() domain.Actor { return t.t.actor }

// Now is the command's one reading of the clock, in library time.
func (t *Txn) Now() time.Time { return t.t.now }

// Stamp is Now as instants are stored: UTC, fixed width, so they sort.
func (t *Txn) Stamp() string { return t.t.stamp() }

// Emit appends an op of kind, made by the command's actor through its
// channel, and applies it (through the capability's applier) before it
// returns.
func (t *Txn) Emit(ctx context.Context, kind string, payload any) (replicate.Op, error) {
	return t.t.emit(ctx, kind, payload)
}

// Update runs fn as one atomic, durable command of a capability, in the
// core's command transaction: the actor in ctx, one reading of the clock,
// group commit with the core's commands.
func (s *Service) Update(ctx context.Context, fn func(t *Txn) error) error {
	return s.update(ctx, func(t *txn) error { return fn(&Txn{Tx: t.Tx.Tx, t: t}) })
}

// Read is the pool of read-only connections, for a capability's queries.
func (s *Service) Read() *sql.DB { return s.db.Read() }
