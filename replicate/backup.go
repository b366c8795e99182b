package replicate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// BackupTo writes a consistent copy of the database to the file at path
// with SQLite's online backup API. Writers may go on meanwhile; the copy is
// the database as of one moment.
func (db *DB) BackupTo(ctx context.Context, path string) error {
	dst, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		return err
	}
	defer dst.Close()
	dc, err := dst.Conn(ctx)
	if err != nil {
		return fmt.Errorf("replicate: backup to %s: %w", path, err)
	}
	defer dc.Close()
	sc, err := db.reader.Conn(ctx)
	if err != nil {
		return err
	}
	defer sc.Close()
	return copyDB(dc, sc)
}

// RestoreFrom replaces the database's whole contents with those of the
// database file at path, through the writer connection (so no write runs
// meanwhile). Callers must tell the log (Tx.ReloadCounter) afterwards.
func (db *DB) RestoreFrom(ctx context.Context, path string) error {
	src, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		return err
	}
	defer src.Close()
	sc, err := src.Conn(ctx)
	if err != nil {
		return fmt.Errorf("replicate: restore from %s: %w", path, err)
	}
	defer sc.Close()
	dc, err := db.writer.Conn(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	// The op log's names are numbered per database: the restored one's
	// are read afresh.
	defer db.names.reset()
	return copyDB(dc, sc)
}

// copyDB copies every page of src's main database over dst's.
func copyDB(dst, src *sql.Conn) error {
	return dst.Raw(func(d any) error {
		dconn, ok := d.(*sqlite3.SQLiteConn)
		if !ok {
			return errors.New("replicate: backup: not a SQLite connection")
		}
		return src.Raw(func(s any) error {
			sconn, ok := s.(*sqlite3.SQLiteConn)
			if !ok {
				return errors.New("replicate: backup: not a SQLite connection")
			}
			b, err := dconn.Backup("main", sconn, "main")
			if err != nil {
				return fmt.Errorf("replicate: backup: %w", err)
			}
			done, err := b.Step(-1)
			if err == nil && !done {
				err = errors.New("backup did not finish in one step")
			}
			if ferr := b.Finish(); err == nil {
				err = ferr
			}
			if err != nil {
				return fmt.Errorf("replicate: backup: %w", err)
			}
			return nil
		})
	})
}
