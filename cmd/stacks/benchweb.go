package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"stacks/node/client"
)

// A slow phone link, for the estimate bench-search --web prints: 400
// kbit/s down and a 300 ms round trip (between Chrome's "Slow 3G" and
// "Fast 3G" presets).
const (
	slowLinkBytesPerSec = 400_000 / 8
	slowLinkRTT         = 300 * time.Millisecond
)

// webPage is what bench-search --web measured of one page kind.
type webPage struct {
	name      string
	lat       []time.Duration
	html, gz  int
	requests  int
	encodings map[string]int
}

// benchWeb times the patron web for the run's queries, as a browser
// fetches it: the search page (HTML with every facet) for each query, and
// the title page of each known-item query's first result. It reports the
// server time (the client is on the same host), each page's weight as
// sent and gzipped, and what a phone on a slow link would wait for it.
func benchWeb(ctx context.Context, base string, qs []benchQuery, res []benchResult, stdout io.Writer) error {
	hc := &http.Client{Timeout: 2 * time.Minute}
	get := func(pg *webPage, path string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept-Language", "en")
		req.Header.Set("Accept-Encoding", "gzip")
		t := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		enc := resp.Header.Get("Content-Encoding")
		if enc == "" {
			enc = "identity"
		}
		pg.encodings[enc]++
		raw := body
		if enc == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				return fmt.Errorf("GET %s: %w", path, err)
			}
			if raw, err = io.ReadAll(zr); err != nil {
				return fmt.Errorf("GET %s: %w", path, err)
			}
		}
		pg.lat = append(pg.lat, d)
		pg.html += len(raw)
		pg.gz += gzipLen(raw)
		pg.requests++
		return nil
	}
	search := &webPage{name: "/search (each query, HTML with every facet)", encodings: map[string]int{}}
	title := &webPage{name: "/titles/{id} (each known-item query's first result)", encodings: map[string]int{}}
	for i := range qs {
		if err := get(search, "/search?"+client.SearchValues(qs[i].q).Encode()); err != nil {
			return err
		}
		if qs[i].set == "known" && res[i].top != "" {
			if err := get(title, "/titles/"+url.PathEscape(res[i].top)); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(stdout, "\nthe patron web, the same queries as pages (GET, Accept-Encoding: gzip; a phone's wait for a later page on a slow link: one %v round trip, the server's time and the bytes as sent at %d kbit/s):\n",
		slowLinkRTT, slowLinkBytesPerSec*8/1000)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "page\trequests\tp50\tp95\tp99\tmean HTML\tmean gzipped\tsent as\tslow link p50\t")
	for _, pg := range []*webPage{search, title} {
		if pg.requests == 0 {
			continue
		}
		slices.Sort(pg.lat)
		html, gz := pg.html/pg.requests, pg.gz/pg.requests
		sent := html
		if pg.encodings["gzip"] == pg.requests {
			sent = gz
		}
		var encs []string
		for e, n := range pg.encodings {
			encs = append(encs, e+" "+strconv.Itoa(n))
		}
		slices.Sort(encs)
		wait := slowLinkRTT + pct(pg.lat, 50) + time.Duration(float64(sent)/slowLinkBytesPerSec*float64(time.Second))
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d B\t%d B\t%v\t%s\t\n", pg.name, pg.requests, ms(pct(pg.lat, 50)), ms(pct(pg.lat, 95)),
			ms(pct(pg.lat, 99)), html, gz, encs, ms(wait))
	}
	return tw.Flush()
}

// gzipLen is the size of b gzipped at the default level.
func gzipLen(b []byte) int {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Len()
}
