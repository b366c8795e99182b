package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node/httpapi"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// BenchmarkHTTPAuditedCheckout is desk checkouts through the API (each an
// audited write, POST /api/v1/checkouts) against a durable SQLite file, by
// one client and by 16 at once, beside the disk's own fsync latency on the
// same file system (2,000 syncs of one page, just before the timed part).
func BenchmarkHTTPAuditedCheckout(b *testing.B) {
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchHTTPAuditedCheckout(b, clients) })
	}
}

func benchHTTPAuditedCheckout(b *testing.B, clients int) {
	lg := slog.New(slog.DiscardHandler)
	svc := openService(b, replicate.SystemClock{}, lg)
	ctx := domain.WithActor(context.Background(), domain.Actor{ID: "bench", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	must(b, svc.SetLibrary(ctx, domain.Library{BranchID: "MAIN", Name: "Main"}))
	must(b, svc.SetCategory(ctx, domain.Category{Category: "BULK", Description: "Bulk borrower"}))
	must(b, svc.SetItemType(ctx, domain.ItemType{ItemType: "BOOK", Description: "Book"}))
	const maxLoans = 10000
	must(b, svc.SetRule(ctx, domain.Rule{BranchID: "*", Category: "BULK", ItemType: "*", LoanDays: 21, Renewals: 2,
		MaxLoans: maxLoans, FineCents: 25, HoldsAllowed: true}))
	n := b.N + 1 // one checkout before the timed part
	npatrons := max(clients, (n+maxLoans-1)/maxLoans)
	cards := make([]string, npatrons)
	for i := range cards {
		p, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: fmt.Sprintf("P%06d", i), Surname: "Bench", Category: "BULK", PIN: "1234"})
		must(b, err)
		cards[i] = p.Cardnumber
	}
	bib, err := svc.AddBiblio(ctx, domain.NewBiblio{Title: "Benchmarking for Beginners"})
	must(b, err)
	const batch = 1000
	for from := 0; from < n; from += batch {
		nis := make([]domain.NewItem, 0, batch)
		for i := from; i < min(from+batch, n); i++ {
			nis = append(nis, domain.NewItem{Barcode: fmt.Sprintf("X%08d", i), BiblioID: bib.BiblioID, ItemType: "BOOK"})
		}
		_, err := svc.AddItems(ctx, nis)
		must(b, err)
	}
	_, err = svc.SetStaff(ctx, domain.NewStaff{Username: "desk", Role: domain.RoleCirculation, Password: "desk"})
	must(b, err)
	api, err := httpapi.New(httpapi.Config{Service: svc, Logger: lg})
	must(b, err)
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	res, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json", bytes.NewReader([]byte(`{"username":"desk","password":"desk"}`)))
	must(b, err)
	var session struct{ Token string }
	must(b, json.NewDecoder(res.Body).Decode(&session))
	res.Body.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2}}
	defer client.CloseIdleConnections()
	checkout := func(i int) error {
		body := fmt.Sprintf(`{"cardnumber":%q,"barcode":"X%08d"}`, cards[i%npatrons], i)
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/checkouts", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+session.Token)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("checkout %d: %d %s", i, res.StatusCode, data)
		}
		return nil
	}
	must(b, checkout(0)) // the route's first change, and a warm connection
	syncs, err := replicatetest.DiskSyncLatencies(b.TempDir(), 2000)
	must(b, err)

	all := replicatetest.ClosedLoop(b, clients, checkout)
	ms := func(d []time.Duration, q float64) float64 {
		return float64(d[min(len(d)-1, int(q*float64(len(d))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checkouts/s")
	b.ReportMetric(ms(all, 0.50), "p50-ms")
	b.ReportMetric(ms(all, 0.99), "p99-ms")
	b.ReportMetric(ms(syncs, 0.50), "disk_sync_p50_ms")
	b.ReportMetric(ms(syncs, 0.99), "disk_sync_p99_ms")
}
