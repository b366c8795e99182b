package web_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"stacks/branch/domain"
)

// BenchmarkPages measures the server time of the main pages over real
// HTTP on loopback, with 2,000 more titles in the catalogue, and reports
// each page's weight: its HTML, and the HTML with gzip.
//
//	go test -run '^$' -bench Pages -benchtime 300x ./node/web/
func BenchmarkPages(b *testing.B) {
	l := newLib(b)
	var nbs []domain.NewBiblio
	for i := range 2000 {
		nbs = append(nbs, domain.NewBiblio{Title: fmt.Sprintf("Winter tale %d", i), Authors: []string{"Writer, W."}, Format: "book", Year: 1900 + i%120})
	}
	_, err := l.svc.AddBiblios(l.ctx, nbs)
	must(b, err)
	l.lend(annCard, "N1")
	l.lend(annCard, "L1")
	_, err = l.svc.PlaceHold(l.ctx, domain.HoldRequest{PatronID: l.ann.PatronID, BiblioID: l.ebook.BiblioID})
	must(b, err)
	br := l.browser()
	br.login(annCard, annPIN)
	for _, pg := range []struct{ name, path string }{
		{"search", "/search?q=winter"}, {"title", "/titles/" + l.novel.BiblioID}, {"account", "/account"},
		{"card", "/account/card"}, {"home", "/"},
	} {
		b.Run(pg.name, func(b *testing.B) {
			var times []time.Duration
			var size int
			for b.Loop() {
				start := time.Now()
				resp, err := br.c.Get(br.base + pg.path)
				must(b, err)
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				times = append(times, time.Since(start))
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
				size = len(body)
				if len(times) == 1 {
					b.ReportMetric(float64(gzipped(body)), "gzip-B")
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(size), "html-B")
		})
	}
	b.Run("assets", func(b *testing.B) {
		total, gz := 0, 0
		for b.Loop() {
			total, gz = 0, 0
			for _, p := range []string{"/static/style.css", "/static/theme.css", "/static/app.js", "/static/logo"} {
				resp, err := br.c.Get(br.base + p)
				must(b, err)
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				total += len(body)
				gz += gzipped(body)
			}
		}
		b.ReportMetric(float64(total), "B")
		b.ReportMetric(float64(gz), "gzip-B")
	})
}

func gzipped(b []byte) int {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Len()
}
