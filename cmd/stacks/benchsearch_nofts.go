//go:build !cgo

package main

import (
	"context"
	"errors"
	"time"
)

// bareFTS needs SQLite, which a build without cgo (the staff PCs') lacks.
type bareFTS struct{}

func openBareFTS(string) (*bareFTS, error) {
	return nil, errors.New("--db needs a stacks built with cgo (SQLite, -tags sqlite_fts5)")
}

func (*bareFTS) count(context.Context, string) (time.Duration, int, error) { return 0, 0, nil }
func (*bareFTS) Close() error                                              { return nil }
