// Package privacy is what Stacks does so that it knows no more about a
// patron than it must: loan history anonymised when the retention of the
// patron's category says so (unless the patron chose to keep their reading
// history), a patron's data exported whole (GDPR articles 15 and 20), and a
// patron erased (article 17) from the state of every replica and from the
// payloads of their ops in every op log.
//
// It is a capability of branch (see branch.Capability). Erasure and
// anonymisation are ops, so every replica does them: privacy.erase is a
// tombstone that wins over every other op for the patron (an op naming an
// erased patron that arrives later, from a branch that was cut off, is
// redacted on arrival and the patron's data blanked again), and
// privacy.anonymise names the loans (and the holds, audit records, notices
// and overrides that would lead from them to the patron) whose link to the
// patron is cut. Every capability contributes its part through its
// Export, Erase and PersonalKeys hooks.
package privacy

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"slices"

	"stacks/branch"
	"stacks/replicate"
)

// The op kinds.
const (
	KindErase     = "privacy.erase"     // eraseOp
	KindAnonymise = "privacy.anonymise" // anonymiseOp
	KindRetention = "privacy.retention" // retentionOp
)

type eraseOp struct {
	PatronID string `json:"patron_id"`
	Reason   string `json:"reason"`
	At       string `json:"at"`
}

// anonymiseOp names what to cut from a patron: loans, and the rows that
// lead from them to the patron (fulfilled holds, audit records, notices,
// overrides). It never names the patron.
type anonymiseOp struct {
	Loans     []string `json:"loans,omitempty"`
	Holds     []string `json:"holds,omitempty"`
	Audit     []string `json:"audit,omitempty"`
	Notices   []string `json:"notices,omitempty"`
	Overrides []string `json:"overrides,omitempty"`
}

type retentionOp struct {
	Category string `json:"category"`
	Mode     string `json:"mode"`
	Days     int    `json:"days,omitempty"`
}

// Retention modes.
const (
	ModeAtReturn  = "at_return"
	ModeAfterDays = "after_days"
	ModeKeep      = "keep"
)

// DefaultMode is the retention of a category with no policy (and no '*'
// policy): safer than Koha's default of keeping everything.
const DefaultMode = ModeAtReturn

//go:embed migrations/*.sql
var migrationFS embed.FS

// capability is what the applier needs of the other capabilities.
type capability struct {
	caps  []branch.Capability
	keys  map[string]bool
	names map[string]bool
}

// Capability is privacy as a capability of branch. others are the other
// capabilities the node runs: their Erase hooks run when a patron is
// erased, and their PersonalKeys are blanked in the erased patron's ops.
func Capability(others ...branch.Capability) branch.Capability {
	ms, err := replicate.MigrationsFromFS("privacy", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	c := &capability{caps: others, keys: map[string]bool{}, names: map[string]bool{}}
	for _, k := range branch.CorePersonalKeys {
		c.keys[k] = true
	}
	for _, o := range others {
		c.names[o.Name] = true
		for _, k := range o.PersonalKeys {
			c.keys[k] = true
		}
	}
	return branch.Capability{
		Name:        "privacy",
		Kinds:       []string{KindErase, KindAnonymise, KindRetention},
		Apply:       c.apply,
		Migrations:  ms,
		StateTables: []string{"privacy_erasures", "privacy_anonymised", "privacy_retention"},
		Observe:     c.observe,
		Export:      exportOwn,
		// An erasure or anonymisation meets derived state whole: what
		// another capability's catch-up has still to derive from the
		// patron's ops (a loan's recommendations) is derived first, as it
		// would have been inline.
		CatchUpFirst: true,
	}
}

func (c *capability) apply(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	for _, op := range ops {
		var err error
		switch op.Kind {
		case KindErase:
			var p eraseOp
			if err = json.Unmarshal(op.Payload, &p); err == nil {
				err = c.applyErase(ctx, tx, op, p)
			}
		case KindAnonymise:
			var p anonymiseOp
			if err = json.Unmarshal(op.Payload, &p); err == nil {
				err = c.applyAnonymise(ctx, tx, p)
			}
		case KindRetention:
			var p retentionOp
			if err = json.Unmarshal(op.Payload, &p); err == nil {
				_, err = tx.ExecContext(ctx, `INSERT INTO privacy_retention (category, mode, days, stamp) VALUES (?,?,?,?)
					ON CONFLICT (category) DO UPDATE SET mode=excluded.mode, days=excluded.days, stamp=excluded.stamp
					WHERE excluded.stamp > privacy_retention.stamp`, p.Category, p.Mode, p.Days, string(op.Stamp()))
			}
		}
		if err != nil {
			return fmt.Errorf("op %s %s: %w", op.ID(), op.Kind, err)
		}
	}
	return nil
}

// applyErase records the tombstone (the earliest of two erasures stays)
// and erases the patron.
func (c *capability) applyErase(ctx context.Context, tx *replicate.Tx, op replicate.Op, p eraseOp) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_erasures (patron_id, erased_at, reason, stamp) VALUES (?,?,?,?)
		ON CONFLICT (patron_id) DO UPDATE SET erased_at=excluded.erased_at, reason=excluded.reason, stamp=excluded.stamp
		WHERE excluded.stamp < privacy_erasures.stamp`, p.PatronID, p.At, p.Reason, string(op.Stamp())); err != nil {
		return err
	}
	return c.erase(ctx, tx, p.PatronID)
}

// erase removes the patron's personal data from every capability's
// tables, the core's last (the others may look up the values to blank in
// the patron record), then from the payloads of the ops that name the
// patron or quote one of their values. It reads state only, so it is
// idempotent and may run again whenever an op naming the patron arrives.
func (c *capability) erase(ctx context.Context, tx *replicate.Tx, patronID string) error {
	vals, err := branch.PersonalValues(ctx, tx, patronID)
	if err != nil {
		return err
	}
	for _, o := range c.caps {
		if o.Erase != nil {
			if err := o.Erase(ctx, tx, patronID); err != nil {
				return fmt.Errorf("erase in %s: %w", o.Name, err)
			}
		}
	}
	if err := branch.ErasePatronCore(ctx, tx, patronID); err != nil {
		return err
	}
	return c.redactPatron(ctx, tx, patronID, vals)
}

// applyAnonymise cuts every named row from its patron and remembers the
// names, so that a row (or an op naming it) that arrives later is cut too.
func (c *capability) applyAnonymise(ctx context.Context, tx *replicate.Tx, p anonymiseOp) error {
	for _, set := range []struct {
		kind string
		ids  []string
	}{{"loan", p.Loans}, {"hold", p.Holds}, {"audit", p.Audit}, {"notice", p.Notices}, {"override", p.Overrides}} {
		for _, id := range set.ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_anonymised (id, kind) VALUES (?,?) ON CONFLICT DO NOTHING`,
				id, set.kind); err != nil {
				return err
			}
			if err := c.cut(ctx, tx, set.kind, id); err != nil {
				return err
			}
		}
	}
	// The ops that name the rows, redacted in one pass over the log rather
	// than one pass a row: a sweep anonymises a day's loans at once.
	return c.redactAnonymisedAll(ctx, tx, p)
}

// cut cuts one row from its patron in the state.
func (c *capability) cut(ctx context.Context, tx *replicate.Tx, kind, id string) error {
	var stmts []string
	switch kind {
	case "loan":
		stmts = []string{`UPDATE loans SET patron_id='' WHERE loan_id=?1 AND patron_id<>''`,
			`UPDATE fees SET loan_id='', item_id='' WHERE loan_id=?1`}
	case "hold":
		stmts = []string{`UPDATE holds SET patron_id='' WHERE hold_id=?1 AND patron_id<>''`}
	case "audit":
		if c.names["audit"] {
			stmts = []string{`UPDATE audit SET item_id='', resource=action WHERE audit_id=?1 AND item_id<>''`}
		}
	case "notice":
		if c.names["notices"] {
			stmts = []string{`UPDATE notices SET patron_id='' WHERE notice_key=?1 AND patron_id<>''`}
		}
	case "override":
		stmts = []string{`UPDATE overrides SET item_id='' WHERE op_id=?1 AND item_id<>''`}
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s, id); err != nil {
			return err
		}
	}
	return nil
}

// observe catches ops that arrive after an erasure or an anonymisation
// they are concerned by (made on a branch cut off at the time, or synced
// late): the erased patron is erased again (their new values included)
// and the op redacted; the anonymised row is cut again.
func (c *capability) observe(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	var patrons, rows []string
	var at map[string][]replicate.OpPos // where ops of the batch name a loan, hold or notice
	for _, op := range ops {
		if slices.Contains([]string{KindErase, KindAnonymise, KindRetention}, op.Kind) {
			continue
		}
		patrons = appendValues(patrons, op.Payload, `"patron_id":"`)
		for _, key := range rowKeys {
			eachValue(op.Payload, key, func(v []byte) {
				id := string(v)
				rows = append(rows, id)
				if at == nil {
					at = map[string][]replicate.OpPos{}
				}
				at[id] = append(at[id], replicate.OpPos{Origin: op.Origin, Counter: op.Counter})
			})
		}
		if op.Kind == "audit.record" {
			// An anonymisation cuts an audit record from the item it
			// names (anonymise picks a loan's records by patron and
			// item): one that names no item was never picked.
			if bytes.Contains(op.Payload, []byte(`"item_id":"`)) {
				rows = append(rows, op.ID())
			}
		} else if op.Kind == branch.KindCheckout || op.Kind == branch.KindRenew || op.Kind == branch.KindHoldPlace {
			rows = append(rows, op.ID()) // an override's ID
		}
	}
	if len(patrons) == 0 && len(rows) == 0 {
		return nil
	}
	// The erased patrons among those named, then the anonymised rows among
	// those named: each list (deduplicated) joined to its table's key, in
	// the order found, sorted here. (IN (SELECT value FROM json_each(?)) or
	// an ORDER BY would build SQLite temporary tables: several times the
	// cost, on every command and every op applied.)
	var erased []string
	var found [][2]string
	lookup := func(query string, ids []string, add func(k, id string)) error {
		if len(ids) == 0 {
			return nil
		}
		slices.Sort(ids)
		r, err := tx.QueryContext(ctx, query, replicate.JSONList(slices.Compact(ids)))
		if err != nil {
			return err
		}
		defer r.Close()
		for r.Next() {
			var k, id string
			if err := r.Scan(&k, &id); err != nil {
				return err
			}
			add(k, id)
		}
		return r.Err()
	}
	if err := lookup(`SELECT '', e.patron_id FROM json_each(?) j JOIN privacy_erasures e ON e.patron_id=j.value`, patrons,
		func(_, id string) { erased = append(erased, id) }); err != nil {
		return err
	}
	if err := lookup(`SELECT a.kind, a.id FROM json_each(?) j JOIN privacy_anonymised a ON a.id=j.value`, rows,
		func(k, id string) { found = append(found, [2]string{k, id}) }); err != nil {
		return err
	}
	slices.Sort(erased)
	slices.SortFunc(found, func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	// Erasures first (they write no anonymised row, so what was found of
	// those stands).
	for _, p := range erased {
		if err := c.erase(ctx, tx, p); err != nil {
			return err
		}
	}
	for _, f := range found {
		if err := c.cut(ctx, tx, f[0], f[1]); err != nil {
			return err
		}
		if err := c.redactAnonymisedLate(ctx, tx, f[0], f[1], at[f[1]]); err != nil {
			return err
		}
	}
	return nil
}

// appendValues appends the string values that follow each occurrence of
// prefix (a JSON key with its colon and opening quote) in payload.
func appendValues(out []string, payload []byte, prefix string) []string {
	eachValue(payload, prefix, func(v []byte) { out = append(out, string(v)) })
	return out
}

func column(ctx context.Context, q replicate.Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// exportOwn is privacy's own part of an export: whether the patron was
// erased (an export of an erased patron says so, and little else).
func exportOwn(ctx context.Context, q replicate.Querier, patronID string) (any, error) {
	return branch.QueryMaps(ctx, q, `SELECT erased_at, reason FROM privacy_erasures WHERE patron_id=?`, patronID)
}
