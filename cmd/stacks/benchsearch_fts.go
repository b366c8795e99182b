//go:build cgo

package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/mattn/go-sqlite3" // the bare FTS5 limit of bench-search --db reads the appliance's database
)

// bareFTS times bare FTS5 MATCH counts in an appliance's database, opened
// read-only: the limit under a full search (no facets, ranking, grouping
// or HTTP). A build without cgo (the staff PCs') has no SQLite, and
// bench-search --db refuses there.
type bareFTS struct{ db *sql.DB }

func openBareFTS(path string) (*bareFTS, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_query_only=1")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM search_fts WHERE search_fts MATCH '"a"'`).Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("--db %s: not an appliance's database with its search index (built with -tags sqlite_fts5?): %w", path, err)
	}
	return &bareFTS{db: db}, nil
}

func (b *bareFTS) count(ctx context.Context, q string) (time.Duration, int, error) {
	if q == "" {
		return 0, 0, nil
	}
	t := time.Now()
	var n int
	err := b.db.QueryRowContext(ctx, `SELECT count(*) FROM search_fts WHERE search_fts MATCH ?`, q).Scan(&n)
	return time.Since(t), n, err
}

func (b *bareFTS) Close() error { return b.db.Close() }
