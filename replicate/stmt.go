package replicate

import (
	"context"
	"database/sql"
)

// Statements run through a Tx are prepared once on the writer connection and
// reused: SQLite's prepare step costs more than running most of our queries.
// A statement seen for the first time runs unprepared; the writer prepares
// it between batches, when its one connection is free.

func (t *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	return t.log.prepared(ctx, t.Tx, query)
}

// prepared is query's prepared statement in tx, or nil when it is not
// prepared yet: it is then wanted, and prepared after the batch.
func (l *Log) prepared(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	if s, ok := l.stmts[query]; ok {
		return tx.StmtContext(ctx, s)
	}
	if len(l.want) < 1024 {
		l.want[query] = true
	}
	return nil
}

// ExecContext runs a statement in the transaction.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := t.applyUnapplied(ctx); err != nil {
		return nil, err
	}
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := t.applyUnapplied(ctx); err != nil {
		return nil, err
	}
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query expected to return at most one row.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if err := t.applyUnapplied(ctx); err != nil {
		// The row answers with an error and the statement does not run on
		// half-applied state; the dry run fails with dryErr (propose).
		done, cancel := context.WithCancel(ctx)
		cancel()
		return t.Tx.QueryRowContext(done, query, args...)
	}
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// execCached runs one of the writer's own statements (the version
// vector's upsert, a request's savepoint) in tx through the prepared
// statements, as a request's statements run (Tx.stmt): run unprepared,
// every run parses it again, which for the upsert costs more than its
// step (~28 of ~30 µs a commit here). It runs with the writer held.
func (l *Log) execCached(tx *sql.Tx, query string, args ...any) error {
	var err error
	if s := l.prepared(context.Background(), tx, query); s != nil {
		_, err = s.Exec(args...)
	} else {
		_, err = tx.Exec(query, args...)
	}
	return err
}

// prepareWanted prepares the statements first seen in the last batch. It
// runs with the writer held (tok) and no transaction open.
func (l *Log) prepareWanted() {
	for q := range l.want {
		delete(l.want, q)
		if len(l.stmts) >= 1024 {
			continue
		}
		s, err := l.db.writer.Prepare(q)
		if err != nil {
			continue // it will run unprepared, and report its own error
		}
		l.stmts[q] = s
	}
}

func (l *Log) closeStmts() {
	for q, s := range l.stmts {
		s.Close()
		delete(l.stmts, q)
	}
}
