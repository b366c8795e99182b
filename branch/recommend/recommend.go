// Package recommend is "patrons who borrowed this also borrowed": counts
// of distinct patrons per pair of titles, counted when loans are applied,
// and the suggestions read from them (for a title, for a patron who opted
// in, and the most borrowed titles as a fallback).
//
// The model is local derived state, as the search index is: a Touched
// hook counts each loan once, in the transaction that applies it or (on a
// node that defers derived state, branch.Deferral) in a catch-up pass
// right after its commit, on every node; it is neither replicated nor hashed, and Open rebuilds it from the
// loans when it is missing. It names no patron: a pair's row is two title
// IDs and a count. How a count stays one per patron without a list of who
// was counted is in the README (Design, Recommendations).
package recommend

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"strings"

	"stacks/branch"
	"stacks/replicate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Version is the model's derivation version: a model built by another
// version (or none) is rebuilt at Open.
const Version = "1"

// MinSupport is the fewest distinct patrons who must have borrowed two
// titles for one to be suggested with the other; below it nothing is
// shown, so a suggestion never stands for one person's reading.
const MinSupport = 5

// Capability is the model as the applier sees it: its tables and the
// Touched hook that counts the loans of the copies a batch touched.
func Capability() branch.Capability {
	ms, err := replicate.MigrationsFromFS("recommend", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	return branch.Capability{
		Name:       "recommend",
		Migrations: ms,
		Touched: func(ctx context.Context, tx *replicate.Tx, t branch.Touched) error {
			if len(t.Items) == 0 {
				return nil
			}
			if branch.Deferred(tx) {
				return noteItems(ctx, tx, t.Items)
			}
			return countItems(ctx, tx, t.Items)
		},
		CatchUp: catchUp,
	}
}

// noteItems notes copies whose loans to count, for the catch-up pass
// (when the applier defers derived state, branch.Deferral). Counted
// later, a loan counts as it would have inline: count is the same in any
// order, as long as the patron's loans are still theirs, and an erasure or
// anonymisation waits for the pass (privacy is branch.CatchUpFirst).
func noteItems(ctx context.Context, tx *replicate.Tx, items []string) error {
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO recommend_dirty (item_id) SELECT value FROM json_each(?)`,
		replicate.JSONList(items)); err != nil {
		return fmt.Errorf("recommend: note: %w", err)
	}
	branch.Noted(tx)
	return nil
}

// catchUp counts the loans of up to limit noted copies (all if limit <=
// 0) and deletes their notes, in tx.
func catchUp(ctx context.Context, tx *replicate.Tx, limit int) (int, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := tx.QueryContext(ctx, `SELECT item_id FROM recommend_dirty ORDER BY item_id LIMIT ?`, limit)
	if err != nil {
		return 0, fmt.Errorf("recommend: noted: %w", err)
	}
	var items []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		items = append(items, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(items) == 0 {
		return 0, err
	}
	if err := countItems(ctx, tx, items); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM recommend_dirty WHERE item_id IN (SELECT value FROM json_each(?))`,
		replicate.JSONList(items)); err != nil {
		return 0, fmt.Errorf("recommend: noted: %w", err)
	}
	return len(items), nil
}

// txn is a transaction: the applier's or a command's.
type txn interface {
	replicate.Querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// loan is a loan not yet counted.
type loan struct{ id, patron, biblio string }

// countItems counts the issued loans of items not counted yet.
func countItems(ctx context.Context, tx *replicate.Tx, items []string) error {
	rows, err := tx.QueryContext(ctx, `SELECT l.loan_id, l.patron_id, coalesce(i.biblio_id, '') FROM json_each(?) AS j
		JOIN loans AS l ON l.item_id=j.value AND l.issued=1 LEFT JOIN items AS i ON i.item_id=l.item_id
		WHERE NOT EXISTS (SELECT 1 FROM recommend_counted AS c WHERE c.loan_id=l.loan_id)
		ORDER BY l.issued_at, l.loan_id`, replicate.JSONList(items))
	if err != nil {
		return fmt.Errorf("recommend: loans: %w", err)
	}
	ls, err := scanLoans(rows)
	if err != nil {
		return err
	}
	for _, l := range ls {
		if err := count(ctx, tx, l); err != nil {
			return err
		}
	}
	return nil
}

func scanLoans(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}) ([]loan, error) {
	defer rows.Close()
	var out []loan
	for rows.Next() {
		var l loan
		if err := rows.Scan(&l.id, &l.patron, &l.biblio); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// count counts one loan: if its patron (still named on the loan) has no
// counted loan of its title, the title gains a patron and so does each
// pair of it with a title of the patron's counted loans. Either way the
// loan is marked counted. Each pair is so counted once per patron, when
// the first loan of its second title is counted, whatever the order the
// loans arrive in, as long as the patron's loans are still theirs.
func count(ctx context.Context, tx txn, l loan) error {
	if l.patron != "" && l.biblio != "" {
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT i.biblio_id FROM loans AS l JOIN recommend_counted AS c ON c.loan_id=l.loan_id
			JOIN items AS i ON i.item_id=l.item_id WHERE l.patron_id=? AND l.loan_id<>? AND i.biblio_id<>''`, l.patron, l.id)
		if err != nil {
			return fmt.Errorf("recommend: history: %w", err)
		}
		var had []string
		seen := false
		for rows.Next() {
			var b string
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return err
			}
			seen = seen || b == l.biblio
			had = append(had, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if !seen {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recommend_titles (biblio_id, patrons) VALUES (?, 1)
				ON CONFLICT (biblio_id) DO UPDATE SET patrons=patrons+1`, l.biblio); err != nil {
				return fmt.Errorf("recommend: title: %w", err)
			}
			if len(had) > 0 {
				if err := addPairs(ctx, tx, l.biblio, had); err != nil {
					return fmt.Errorf("recommend: pairs: %w", err)
				}
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO recommend_counted (loan_id) VALUES (?)`, l.id); err != nil {
		return fmt.Errorf("recommend: counted: %w", err)
	}
	return nil
}

// Open makes the model whole over svc's database: when it was built by
// another Version (or never, as in a database from before it), it is
// rebuilt from the loans as they stand.
func Open(ctx context.Context, svc *branch.Service, lg *slog.Logger) error {
	var v string
	if err := svc.Read().QueryRowContext(ctx, `SELECT coalesce((SELECT v FROM recommend_meta WHERE k='version'), '')`).Scan(&v); err != nil {
		return fmt.Errorf("recommend: %w", err)
	}
	if v == Version {
		return nil
	}
	if v == "" {
		// Counting since the tables were made (a node that ran without
		// Open): keep what was counted, it may include loans anonymised since.
		var counted bool
		if err := svc.Read().QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM recommend_counted)`).Scan(&counted); err != nil {
			return fmt.Errorf("recommend: %w", err)
		}
		if counted {
			return svc.Update(replicate.Direct(ctx), func(t *branch.Txn) error {
				_, err := t.ExecContext(ctx, `INSERT INTO recommend_meta (k, v) VALUES ('version', ?)`, Version)
				return err
			})
		}
	}
	n, err := Rebuild(ctx, svc)
	if err != nil {
		return err
	}
	if lg != nil {
		lg.Info("recommendations rebuilt", "loans", n)
	}
	return nil
}

// Rebuild recounts the model from the loans as they stand (anonymised
// loans count nothing) and returns how many loans it read.
func Rebuild(ctx context.Context, svc *branch.Service) (int, error) {
	n := 0
	err := svc.Update(replicate.Direct(ctx), func(t *branch.Txn) error {
		for _, q := range []string{`DELETE FROM recommend_pairs`, `DELETE FROM recommend_titles`, `DELETE FROM recommend_counted`,
			`DELETE FROM recommend_meta`, `DELETE FROM recommend_dirty`} {
			if _, err := t.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		rows, err := t.QueryContext(ctx, `SELECT l.loan_id, l.patron_id, coalesce(i.biblio_id, '') FROM loans AS l
			LEFT JOIN items AS i ON i.item_id=l.item_id WHERE l.issued=1 ORDER BY l.issued_at, l.loan_id`)
		if err != nil {
			return err
		}
		ls, err := scanLoans(rows)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if err := count(ctx, t, l); err != nil {
				return err
			}
		}
		n = len(ls)
		_, err = t.ExecContext(ctx, `INSERT INTO recommend_meta (k, v) VALUES ('version', ?)`, Version)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("recommend: rebuild: %w", err)
	}
	return n, nil
}

// addPairs adds a patron to the pairs of title with each of others, in
// both directions, a few hundred rows a statement.
func addPairs(ctx context.Context, tx txn, title string, others []string) error {
	const chunk = 200
	for len(others) > 0 {
		n := min(chunk, len(others))
		var b strings.Builder
		b.WriteString(`INSERT INTO recommend_pairs (a, b, patrons) VALUES `)
		args := make([]any, 0, 4*n)
		for i, o := range others[:n] {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("(?,?,1),(?,?,1)")
			args = append(args, title, o, o, title)
		}
		b.WriteString(` ON CONFLICT (a, b) DO UPDATE SET patrons=patrons+1`)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
		others = others[n:]
	}
	return nil
}
