package branch

import (
	"context"
	"database/sql"
	"sync"
)

// readStmts runs the hot fixed-text queries of the read pool (a patron by
// card, an item by barcode: every kiosk message and desk scan asks one) as
// statements prepared once, instead of compiling the SQL at every call.
// database/sql prepares a Stmt again on each pool connection that needs it
// and closes them with the pool. Query text that is built per call must not
// come here; past maxReadStmts statements, queries run unprepared.
type readStmts struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

const maxReadStmts = 64

var _ querier = (*readStmts)(nil)

func (r *readStmts) stmt(ctx context.Context, query string) *sql.Stmt {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.m[query]; ok {
		return st
	}
	if len(r.m) >= maxReadStmts {
		return nil
	}
	st, err := r.db.PrepareContext(ctx, query)
	if err != nil {
		return nil // the query itself will report it
	}
	if r.m == nil {
		r.m = map[string]*sql.Stmt{}
	}
	r.m[query] = st
	return st
}

func (r *readStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.db.QueryContext(ctx, query, args...)
}

func (r *readStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.db.QueryRowContext(ctx, query, args...)
}
