package replicatetest

import (
	"context"
	"database/sql"
	"fmt"

	"stacks/replicate"
)

// WriteV1Log creates at path a database as a version before the compact
// op log made it (replicate's migrations 1 and 2: kind, actor and channel
// as text, payloads as given) holding ops, with its version vector. Opening
// it with replicate.OpenDB converts it.
func WriteV1Log(ctx context.Context, path string, ops []replicate.Op) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))`); err != nil {
		return err
	}
	for _, m := range replicate.CoreMigrationsUpTo(2) {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %d: %w", m.Version, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?)`, m.Component, m.Version); err != nil {
			return err
		}
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO ops (origin, counter, hlc, kind, payload, actor, channel) VALUES (?,?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	vv := replicate.VersionVector{}
	for _, op := range ops {
		if _, err := ins.ExecContext(ctx, int64(op.Origin), int64(op.Counter), int64(op.HLC), op.Kind, op.Payload, op.Actor, op.Channel); err != nil {
			return err
		}
		vv[op.Origin] = max(vv[op.Origin], op.Counter)
	}
	for o, c := range vv {
		if _, err := tx.ExecContext(ctx, `INSERT INTO version_vector VALUES (?, ?)`, int64(o), int64(c)); err != nil {
			return err
		}
	}
	return tx.Commit()
}
