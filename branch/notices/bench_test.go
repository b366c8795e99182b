package notices_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"stacks/branch/notices"
	"stacks/replicate"
)

// benchLoans is the number of open loans BenchmarkEvaluate runs over:
// 100,000 by default, STACKS_NOTICES_BENCH_LOANS (e.g. 1000000) to change.
func benchLoans() int {
	if n, err := strconv.Atoi(os.Getenv("STACKS_NOTICES_BENCH_LOANS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// seedLoans writes n open loans of n/10 patrons straight into the state
// tables (the triggers read state, not ops), due over 60 days around the
// clock's day, so some are pre-due, due today and overdue at each level.
func seedLoans(b *testing.B, l *lib, n int) {
	b.Helper()
	ctx := context.Background()
	day := l.svc.Now()
	const chunk = 10_000
	for start := 0; start < n; start += chunk {
		err := l.env.Log.Update(ctx, func(tx *replicate.Tx) error {
			for i := start; i < min(start+chunk, n); i++ {
				if i%10 == 0 {
					if _, err := tx.ExecContext(ctx, `INSERT INTO patrons (patron_id, cardnumber, surname, email, category, home_branch,
						registered_at, expiry_date) VALUES (?,?,?,?,?,?,?,?)`, fmt.Sprintf("p%08d", i/10), fmt.Sprintf("2%013d", i/10), "Bench",
						"b@example.org", "ADULT", "MAIN", "2020-01-01", "2030-01-01"); err != nil {
						return err
					}
				}
				due := day.AddDate(0, 0, i%60-40).Format("2006-01-02")
				if _, err := tx.ExecContext(ctx, `INSERT INTO loans (loan_id, item_id, patron_id, branch_id, issued_at, due_date, issued)
					VALUES (?,?,?,?,?,?,1)`, fmt.Sprintf("l%08d", i), fmt.Sprintf("i%08d", i), fmt.Sprintf("p%08d", i/10), "MAIN",
					"2026-01-01T00:00:00.000Z", due); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate is one evaluation of the triggers over the open loans
// (every notice due and not yet claimed), beside the bare SQL scan of the
// same rows: what the evaluation adds to reading them.
func BenchmarkEvaluate(b *testing.B) {
	n := benchLoans()
	l := openLib(b, 1, "")
	seedLoans(b, l, n)
	ctx := context.Background()
	e := notices.New(l.svc, notices.Config{Node: "bench"})
	b.Run(fmt.Sprintf("evaluate/loans=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		var due int
		for b.Loop() {
			var err error
			if due, err = e.Evaluate(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(due), "due")
	})
	b.Run(fmt.Sprintf("sqlscan/loans=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := l.svc.Read().QueryContext(ctx, `SELECT l.loan_id, l.patron_id, l.branch_id, l.due_date, p.category FROM loans l
				JOIN patrons p ON p.patron_id=l.patron_id WHERE l.returned_at='' AND l.issued=1 AND l.lost=0 AND l.due_date<>''
				AND p.registered_at<>''`)
			if err != nil {
				b.Fatal(err)
			}
			var c int
			for rows.Next() {
				var a, p, br, d, cat string
				if err := rows.Scan(&a, &p, &br, &d, &cat); err != nil {
					b.Fatal(err)
				}
				c++
			}
			rows.Close()
			if c != n {
				b.Fatalf("scanned %d", c)
			}
		}
	})
	_ = time.Second
}
