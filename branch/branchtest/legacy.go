package branchtest

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"

	"stacks/branch"
)

// Downgrade turns a closed branch database at path back into the format
// before migration 100 (compact clocks): every last-writer-wins row's
// clocks become the JSON text the old format stored (branch.ClocksJSON,
// which is what the old appliers wrote byte for byte) and 100 is marked
// as not run. The next
// replicate.OpenDB with branch.Migrations runs 100 on it: the tests of the
// migration start from the old format this way.
func Downgrade(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	tables := branch.LWWTables()
	for _, t := range slices.Sorted(maps.Keys(tables)) {
		rows, err := tx.QueryContext(ctx, "SELECT rowid, clocks FROM "+t)
		if err != nil {
			return err
		}
		type row struct {
			id   int64
			text string
		}
		var all []row
		for rows.Next() {
			var id int64
			var stored []byte
			if err := rows.Scan(&id, &stored); err != nil {
				rows.Close()
				return err
			}
			text, err := branch.ClocksJSON(t, stored)
			if err != nil {
				rows.Close()
				return fmt.Errorf("%s row %d: %w", t, id, err)
			}
			all = append(all, row{id, text})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range all {
			if _, err := tx.ExecContext(ctx, "UPDATE "+t+" SET clocks=? WHERE rowid=?", r.text, r.id); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_migrations WHERE component='branch' AND version=100`); err != nil {
		return err
	}
	return tx.Commit()
}
