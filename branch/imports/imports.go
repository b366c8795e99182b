// Package imports loads MARC records into the catalogue, matching them
// against the titles already there, as Koha's staged import and
// Evergreen's Vandelay do. It is a capability of branch (see
// branch.Capability): each imported title's match keys (normalised ISBN-13s
// from 020 $a and $z, 035 $a system numbers, 001+003) are an op of their
// own, folded into the biblio_match_keys table, so that matching works on
// every replica and re-importing a file adds nothing. Titles and copies
// are added through branch's commands and replicate like any other.
package imports

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"

	"stacks/branch"
	"stacks/replicate"
)

// KindKeys records the match keys of imported titles: one op per batch
// of an import (keysBatch), or, as earlier versions wrote it, one per
// title (keysOp); the applier reads both.
const KindKeys = "imports.keys" // keysBatch or keysOp

// keysBatch is the match keys of every title one import batch added or
// overlaid: one op instead of one per title.
type keysBatch struct {
	Titles []keysOp `json:"titles"`
}

type keysOp struct {
	BiblioID string   `json:"biblio_id"`
	Keys     []string `json:"keys"`
	// Stamp is the stamp of the biblio.set op the import wrote with
	// these keys (none if an overlay kept every field): the fields that
	// carry it were written by an import, not edited locally.
	Stamp string `json:"stamp,omitempty"`
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// Capability is the importer as a capability of branch: hand it to
// branch.NewApplier, branch.Migrations and branch.Config.Capabilities.
func Capability() branch.Capability {
	ms, err := replicate.MigrationsFromFS("imports", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	return branch.Capability{
		Name:        "imports",
		Kinds:       []string{KindKeys},
		Apply:       apply,
		Migrations:  ms,
		StateTables: []string{"biblio_match_keys", "biblio_import_stamps"},
	}
}

// apply adds each op's keys and stamp; adding is idempotent and commutes
// with every other op. A key an overlay no longer carries stays: it still
// names the same title.
func apply(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	var args, stamps []any
	for _, op := range ops {
		var p struct {
			keysOp
			Titles []keysOp `json:"titles"`
		}
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return fmt.Errorf("op %s: imports: bad op payload: %w", op.ID(), err)
		}
		if p.BiblioID != "" {
			p.Titles = append(p.Titles, p.keysOp)
		}
		for _, t := range p.Titles {
			if t.BiblioID == "" {
				return fmt.Errorf("op %s: imports: match keys without a title", op.ID())
			}
			for _, k := range t.Keys {
				args = append(args, k, t.BiblioID)
			}
			if t.Stamp != "" {
				stamps = append(stamps, t.BiblioID, t.Stamp)
			}
		}
	}
	if len(args) > 0 {
		if err := tx.ExecValues(ctx, `INSERT INTO biblio_match_keys (match_key, biblio_id)`, 2, `ON CONFLICT DO NOTHING`, args); err != nil {
			return err
		}
	}
	if len(stamps) > 0 {
		return tx.ExecValues(ctx, `INSERT INTO biblio_import_stamps (biblio_id, stamp)`, 2, `ON CONFLICT DO NOTHING`, stamps)
	}
	return nil
}
