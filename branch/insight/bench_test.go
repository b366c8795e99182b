package insight_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/insight"
)

// BenchmarkReport reads the report of a whole period from the counters of
// a 10-branch library: STACKS_INSIGHT_BENCH_DAYS days (default 30; 365 for
// the year of issue 19) of counters for 12 opening hours, 4 channels and 3
// metrics, written straight into the tables (as the applier would leave
// them).
func BenchmarkReport(b *testing.B) {
	days := 30
	if v, err := strconv.Atoi(os.Getenv("STACKS_INSIGHT_BENCH_DAYS")); err == nil && v > 0 {
		days = v
	}
	ctx := context.Background()
	env := branchtest.Open(b, branchtest.Options{})
	svc := env.Service
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := svc.Update(ctx, func(t *branch.Txn) error {
		for d := range days {
			day := start.AddDate(0, 0, d).Format("2006-01-02")
			for br := range 10 {
				for h := 9; h < 21; h++ {
					for _, ch := range []string{"desk", "kiosk", "web", "app"} {
						for _, m := range []string{insight.MetricLoans, insight.MetricReturns, insight.MetricRenewals} {
							n := 1 + (d+h+br)%7
							if _, err := t.ExecContext(ctx, `INSERT INTO insight_counts (day, hour, branch_id, channel, metric, n) VALUES (?,?,?,?,?,?)`,
								day, h, fmt.Sprintf("B%02d", br), ch, m, n); err != nil {
								return err
							}
							if _, err := t.ExecContext(ctx, `INSERT INTO insight_daily (day, branch_id, channel, metric, n) VALUES (?,?,?,?,?)
								ON CONFLICT DO UPDATE SET n=n+excluded.n`, day, fmt.Sprintf("B%02d", br), ch, m, n); err != nil {
								return err
							}
							if _, err := t.ExecContext(ctx, `INSERT INTO insight_hourly (month, hour, branch_id, channel, metric, n) VALUES (?,?,?,?,?,?)
								ON CONFLICT DO UPDATE SET n=n+excluded.n`, day[:7], h, fmt.Sprintf("B%02d", br), ch, m, n); err != nil {
								return err
							}
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	f := insight.Filter{From: start.Format("2006-01-02"), To: start.AddDate(0, 0, days-1).Format("2006-01-02")}
	b.ResetTimer()
	for b.Loop() {
		if _, err := insight.Build(ctx, svc.Read(), f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckoutCost is the cost of counting on the checkout path: a
// checkout and its return through the real service, on a node running
// every capability, with and without insight.
func BenchmarkCheckoutCost(b *testing.B) {
	for _, with := range []bool{false, true} {
		name := "without"
		if with {
			name = "with"
		}
		b.Run(name+"-insight", func(b *testing.B) {
			caps := branchtest.Capabilities()
			if !with {
				caps = slices.DeleteFunc(caps, func(c branch.Capability) bool { return c.Name == "insight" })
			}
			ctx := context.Background()
			env := branchtest.Open(b, branchtest.Options{Capabilities: caps})
			svc := env.Service
			admin := branchtest.Admin(ctx)
			branchtest.SeedPolicy(b, admin, svc)
			bib, err := svc.AddBiblio(admin, domain.NewBiblio{Title: "Bench"})
			if err != nil {
				b.Fatal(err)
			}
			it, err := svc.AddItem(admin, domain.NewItem{Barcode: "X1", BiblioID: bib.BiblioID, HomeBranch: "MAIN", ItemType: "BOOK"})
			if err != nil {
				b.Fatal(err)
			}
			p, err := svc.RegisterPatron(admin, domain.NewPatron{Surname: "Bench", Category: "ADULT", PIN: "1234"})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := svc.Checkout(admin, domain.CheckoutRequest{PatronID: p.PatronID, ItemID: it.ItemID}); err != nil {
					b.Fatal(err)
				}
				if _, err := svc.Checkin(admin, domain.CheckinRequest{ItemID: it.ItemID}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
