package printspool

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// Privacy. Receipts and hold slips carry a patron's name and card number,
// so a job is kept no longer than it serves: a finished job (done, failed
// or cancelled) is deleted KeepFinished after it finished (Prune), and
// every job about an erased patron, whatever its state, is deleted
// (ErasePatrons): a queued one is withdrawn unprinted, since the library
// no longer holds the name it would print. The file runs with
// secure_delete, and its WAL is checkpointed to nothing after a purge, so
// no copy of the job stays in the file.

// addPatronColumn adds print_jobs.patron_id to a spool file made before it.
func addPatronColumn(ctx context.Context, db *sql.DB) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('print_jobs') WHERE name='patron_id'`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	_, err := db.ExecContext(ctx, `ALTER TABLE print_jobs ADD COLUMN patron_id TEXT NOT NULL DEFAULT ''`)
	if err == nil {
		_, err = db.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS print_jobs_patron ON print_jobs (patron_id) WHERE patron_id<>''`)
	}
	return err
}

// Prune deletes the jobs that finished more than KeepFinished ago and
// answers how many; with KeepFinished 0 it deletes none.
func (s *Spool) Prune(ctx context.Context) (int64, error) {
	if s.cfg.KeepFinished <= 0 {
		return 0, nil
	}
	old := s.cfg.Clock.Now().Add(-s.cfg.KeepFinished).UnixNano()
	res, err := s.db.ExecContext(ctx, `DELETE FROM print_jobs WHERE state IN (?,?,?) AND updated_at < ?`, Done, Failed, Cancelled, old)
	if err != nil {
		return 0, fmt.Errorf("spool: prune: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, s.checkpointIf(ctx, n)
}

// ErasePatrons deletes every job about the patrons, queued ones included
// (a job printing now is finished by the printer but its row is gone), and
// answers how many. It is idempotent: a node calls it with every erased
// patron each time it sweeps.
func (s *Spool) ErasePatrons(ctx context.Context, patronIDs []string) (int64, error) {
	if len(patronIDs) == 0 {
		return 0, nil
	}
	ids, err := json.Marshal(patronIDs)
	if err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM print_jobs WHERE patron_id<>'' AND patron_id IN (SELECT value FROM json_each(?))`, string(ids))
	if err != nil {
		return 0, fmt.Errorf("spool: erase: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, s.checkpointIf(ctx, n)
}

// checkpointIf empties the WAL into the file (and truncates it) after n
// deletions, so the deleted jobs' page images leave the WAL too.
func (s *Spool) checkpointIf(ctx context.Context, n int64) error {
	if n == 0 {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("spool: checkpoint: %w", err)
	}
	return nil
}
