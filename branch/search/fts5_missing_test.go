//go:build !sqlite_fts5

package search_test

import "testing"

// TestBuiltWithFTS5 fails every test run made without the build tag that
// compiles SQLite's full-text module into mattn/go-sqlite3.
func TestBuiltWithFTS5(t *testing.T) {
	t.Fatal("built without -tags sqlite_fts5: SQLite has no FTS5 module and the search index cannot open; " +
		"use make, or GOFLAGS=-tags=sqlite_fts5, or go test -tags sqlite_fts5")
}
