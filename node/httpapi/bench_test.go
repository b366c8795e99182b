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
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node/httpapi"
	"stacks/replicate"
)

// BenchmarkHTTPCheckout16 is 16 clients checking out distinct items over
// HTTP at once, against a real SQLite file: the whole desk path but bcrypt.
func BenchmarkHTTPCheckout16(b *testing.B) {
	const clients = 16
	lg := slog.New(slog.DiscardHandler)
	svc := openService(b, replicate.SystemClock{}, lg)
	ctx := domain.WithActor(context.Background(), domain.Actor{ID: "bench", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	must(b, svc.SetLibrary(ctx, domain.Library{BranchID: "MAIN", Name: "Main"}))
	must(b, svc.SetCategory(ctx, domain.Category{Category: "BULK", Description: "Bulk borrower"}))
	must(b, svc.SetItemType(ctx, domain.ItemType{ItemType: "BOOK", Description: "Book"}))
	const maxLoans = 10000
	must(b, svc.SetRule(ctx, domain.Rule{BranchID: "*", Category: "BULK", ItemType: "*", LoanDays: 21, Renewals: 2,
		MaxLoans: maxLoans, FineCents: 25, HoldsAllowed: true}))
	// One patron per client, more if b.N would pass a patron's loan limit.
	npatrons := max(clients, (b.N+maxLoans-1)/maxLoans)
	cards := make([]string, npatrons)
	for i := range cards {
		p, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: fmt.Sprintf("P%06d", i), Surname: "Bench", Category: "BULK", PIN: "1234"})
		must(b, err)
		cards[i] = p.Cardnumber
	}
	bib, err := svc.AddBiblio(ctx, domain.NewBiblio{Title: "Benchmarking for Beginners"})
	must(b, err)
	const batch = 1000
	for from := 0; from < b.N; from += batch {
		nis := make([]domain.NewItem, 0, batch)
		for i := from; i < min(from+batch, b.N); i++ {
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
	// The desk logs in once and sends its session token with every checkout.
	res, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json", bytes.NewReader([]byte(`{"username":"desk","password":"desk"}`)))
	must(b, err)
	var session struct{ Token string }
	must(b, json.NewDecoder(res.Body).Decode(&session))
	res.Body.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2}}
	defer client.CloseIdleConnections()

	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				body := fmt.Sprintf(`{"cardnumber":%q,"barcode":"X%08d"}`, cards[i%npatrons], i)
				t0 := time.Now()
				req, _ := http.NewRequest("POST", srv.URL+"/api/v1/checkouts", bytes.NewReader([]byte(body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+session.Token)
				res, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				data, _ := io.ReadAll(res.Body)
				res.Body.Close()
				lat[c] = append(lat[c], time.Since(t0))
				if res.StatusCode != http.StatusCreated {
					errs <- fmt.Errorf("checkout %d: %d %s", i, res.StatusCode, data)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	ms := func(q float64) float64 {
		return float64(all[min(len(all)-1, int(q*float64(len(all))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checkouts/s")
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
