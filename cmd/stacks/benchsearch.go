package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"stacks/branch/domain"
	"stacks/branch/marc"
	"stacks/node/client"
)

func init() {
	commands["bench-search"] = command{name: "bench-search", summary: "measure catalogue search as served: known-item and broad queries over HTTP, p50/p95/p99", run: runBenchSearch}
}

// benchTitle is a title of the catalogue that queries are drawn from.
type benchTitle struct {
	id, title string // id is "" for a title read from a MARC file
	authors   []string
	subjects  []string
	isbns     []string
}

// benchQuery is one query of the run.
type benchQuery struct {
	set  string // "known" or "broad"
	form string // known: "title", "author", "isbn"; broad: "subject", "subject+facet"
	q    domain.SearchQuery
	want *benchTitle // the title a known-item query looks for
	fts  string      // the bare FTS5 query of the same words, for --db
}

// benchResult is what one query measured.
type benchResult struct {
	lat   time.Duration
	hits  int
	first bool // known: the wanted title is in the first result
	bare  time.Duration
	bareN int
	top   string // the first result's first edition (biblio ID)
}

func runBenchSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("bench-search", stderr)
	api := fs.String("api", envOr("STACKS_API", client.FallbackURL), "base URL of the appliance's API (default $STACKS_API, else "+client.FallbackURL+")")
	known := fs.Int("known", 1000, "known-item queries (title words, author and a title word, ISBN)")
	broad := fs.Int("broad", 100, "broad topical queries (a subject word, a third with an available_at filter, a third with a format filter)")
	seed := fs.Uint64("seed", 1, "random seed: which titles are drawn and in which order the queries run")
	marcFile := fs.String("marc", "", "draw the titles from this MARC file (the one imported) instead of from the catalogue through the API")
	perPage := fs.Int("per-page", 20, "results per page asked for (every facet is always counted)")
	warmup := fs.Int("warmup", 20, "queries run first and not counted")
	dbPath := fs.String("db", "", "the appliance's database (DATA/stacks.db), opened read-only: also time a bare FTS5 MATCH count of the same words, without facets or ranking (the limit)")
	slow := fs.Int("slowest", 0, "list the N slowest queries (form, words, filters, hits, time)")
	web := fs.Bool("web", false, "also time the patron web's pages for the same queries: the search page of each, the title page of each known-item query's first result (served by the same listener as --api)")
	pid := fs.Int("pid", 0, "branchd's process ID: report its memory (VmRSS, VmHWM from /proc/PID/status) before and after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *known < 0 || *broad < 0 || *known+*broad == 0 {
		return errors.New("bench-search needs --known or --broad queries")
	}
	if *perPage < 1 || *perPage > 1000 {
		return errors.New("--per-page must be 1-1000")
	}
	c, err := client.New(client.Config{BaseURL: trimURL(*api), Timeout: 2 * time.Minute})
	if err != nil {
		return err
	}
	var bare *bareFTS
	if *dbPath != "" {
		if bare, err = openBareFTS(*dbPath); err != nil {
			return err
		}
		defer bare.Close()
	}
	rng := rand.New(rand.NewPCG(*seed, 0x5eac4))
	// The whole catalogue once: its size, and the branches and formats
	// that broad queries filter by.
	all, err := c.Search(ctx, domain.SearchQuery{PerPage: 1})
	if err != nil {
		return fmt.Errorf("search the whole catalogue: %w", err)
	}
	if all.Total == 0 {
		return errors.New("the catalogue is empty: nothing to search")
	}
	var titles []*benchTitle
	source := ""
	if *marcFile != "" {
		titles, err = sampleMARC(*marcFile, *known+*broad, rng)
		source = "records of " + *marcFile
	} else {
		titles, err = sampleAPI(ctx, c, all.Total, *known+*broad, rng)
		source = "the catalogue through GET /api/v1/biblios"
	}
	if err != nil {
		return err
	}
	if len(titles) == 0 {
		return errors.New("no titles to draw queries from")
	}
	qs := benchQueries(titles, *known, *broad, all, rng)
	fmt.Fprintf(stdout, "catalogue: %d works (its titles grouped by work, as a search counts them); %d titles drawn from %s (seed %d)\n",
		all.Total, len(titles), source, *seed)
	fmt.Fprintf(stdout, "queries: %d known-item (%s), %d broad (%s); GET /api/v1/biblios, one at a time, %d a page, every facet counted; %d warm-up queries not counted\n",
		count(qs, "known"), forms(qs, "known"), count(qs, "broad"), forms(qs, "broad"), *perPage, min(*warmup, len(qs)))
	if *pid > 0 {
		fmt.Fprintf(stdout, "branchd (pid %d) before: %s\n", *pid, procMemory(*pid))
	}
	for i := 0; i < *warmup && i < len(qs); i++ {
		q := qs[i].q
		q.PerPage = *perPage
		if _, err := c.Search(ctx, q); err != nil {
			return fmt.Errorf("warm-up query %q: %w", q.Q, err)
		}
	}
	res := make([]benchResult, len(qs))
	start := time.Now()
	for i := range qs {
		q := qs[i].q
		q.PerPage = *perPage
		t := time.Now()
		r, err := c.Search(ctx, q)
		if err != nil {
			return fmt.Errorf("query %q: %w", q.Q, err)
		}
		res[i].lat = time.Since(t)
		res[i].hits = r.Total
		if w := qs[i].want; w != nil && len(r.Works) > 0 {
			res[i].first = wanted(w, r.Works[0])
		}
		if len(r.Works) > 0 && len(r.Works[0].Editions) > 0 {
			res[i].top = r.Works[0].Editions[0].BiblioID
		}
	}
	wall := time.Since(start)
	if bare != nil {
		for i := range qs {
			if res[i].bare, res[i].bareN, err = bare.count(ctx, qs[i].fts); err != nil {
				return fmt.Errorf("bare FTS5 query %q: %w", qs[i].fts, err)
			}
		}
	}
	fmt.Fprintf(stdout, "%d queries in %.1fs (%.0f queries/s)\n\n", len(qs), wall.Seconds(), float64(len(qs))/wall.Seconds())
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "set\tqueries\tp50\tp95\tp99\tmax\tmean hits (works)\thits % of works\twanted title first\t")
	for _, set := range []string{"known", "broad", "mix"} {
		lat, hits, first, n := pick(qs, res, set, func(r benchResult) time.Duration { return r.lat })
		if n == 0 {
			continue
		}
		firstCol := "-"
		if set == "known" {
			firstCol = fmt.Sprintf("%.1f%%", 100*float64(first)/float64(n))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%.0f\t%.2f%%\t%s\t\n", set, n, ms(pct(lat, 50)), ms(pct(lat, 95)), ms(pct(lat, 99)),
			ms(lat[len(lat)-1]), float64(hits)/float64(n), 100*float64(hits)/float64(n)/float64(all.Total), firstCol)
	}
	tw.Flush()
	if bare != nil {
		fmt.Fprintf(stdout, "\nthe limit: a bare FTS5 MATCH count of the same words in %s (read-only), no facets, ranking or HTTP:\n", *dbPath)
		tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "set\tqueries\tp50\tp95\tp99\tmax\tmean matches\tfull query p95 / bare p95\t")
		for _, set := range []string{"known", "broad", "mix"} {
			lat, _, _, n := pick(qs, res, set, func(r benchResult) time.Duration { return r.bare })
			if n == 0 {
				continue
			}
			full, _, _, _ := pick(qs, res, set, func(r benchResult) time.Duration { return r.lat })
			matches := 0
			for i := range qs {
				if set == "mix" || qs[i].set == set {
					matches += res[i].bareN
				}
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%.0f\t%.1fx\t\n", set, n, ms(pct(lat, 50)), ms(pct(lat, 95)), ms(pct(lat, 99)),
				ms(lat[len(lat)-1]), float64(matches)/float64(n), float64(pct(full, 95))/float64(max(pct(lat, 95), time.Microsecond)))
		}
		tw.Flush()
	}
	if *slow > 0 {
		order := make([]int, len(qs))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(res[b].lat, res[a].lat) })
		fmt.Fprintf(stdout, "\nthe %d slowest queries:\n", min(*slow, len(order)))
		for _, i := range order[:min(*slow, len(order))] {
			q := qs[i].q
			fmt.Fprintf(stdout, "  %s  %s/%s  %d works  q=%q formats=%v available_at=%v\n", ms(res[i].lat), qs[i].set, qs[i].form,
				res[i].hits, q.Q, q.Formats, q.AvailableAt)
		}
	}
	if *web {
		if err := benchWeb(ctx, trimURL(*api), qs, res, stdout); err != nil {
			return fmt.Errorf("the patron web: %w", err)
		}
	}
	if *pid > 0 {
		fmt.Fprintf(stdout, "\nbranchd (pid %d) after: %s\n", *pid, procMemory(*pid))
	}
	return nil
}

// pick gathers the latencies (sorted), total hits and wanted-first count
// of one set's queries ("mix": all of them).
func pick(qs []benchQuery, res []benchResult, set string, lat func(benchResult) time.Duration) ([]time.Duration, int, int, int) {
	var ls []time.Duration
	hits, first := 0, 0
	for i := range qs {
		if set != "mix" && qs[i].set != set {
			continue
		}
		ls = append(ls, lat(res[i]))
		hits += res[i].hits
		if res[i].first {
			first++
		}
	}
	slices.Sort(ls)
	return ls, hits, first, len(ls)
}

// pct is the p-th percentile of sorted ls, by nearest rank.
func pct(ls []time.Duration, p int) time.Duration {
	if len(ls) == 0 {
		return 0
	}
	i := (len(ls)*p + 99) / 100
	return ls[max(0, min(i, len(ls))-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func count(qs []benchQuery, set string) int {
	n := 0
	for _, q := range qs {
		if q.set == set {
			n++
		}
	}
	return n
}

// forms says how many queries of a set take each form.
func forms(qs []benchQuery, set string) string {
	n := map[string]int{}
	var order []string
	for _, q := range qs {
		if q.set != set {
			continue
		}
		if n[q.form] == 0 {
			order = append(order, q.form)
		}
		n[q.form]++
	}
	var parts []string
	for _, f := range order {
		parts = append(parts, fmt.Sprintf("%d %s", n[f], f))
	}
	return strings.Join(parts, ", ")
}

// wanted reports whether work w holds title t.
func wanted(t *benchTitle, w domain.Work) bool {
	for _, e := range w.Editions {
		if t.id != "" && e.BiblioID == t.id {
			return true
		}
		if t.id == "" && strings.EqualFold(e.Title, t.title) {
			return true
		}
	}
	return false
}

// sampleAPI draws about n titles from the catalogue: whole pages, sorted
// by title, at random offsets.
func sampleAPI(ctx context.Context, c *client.Client, total, n int, rng *rand.Rand) ([]*benchTitle, error) {
	const per = 200
	pages := (total + per - 1) / per
	want := min(pages, (n+per-1)/per+1)
	seen := map[int]bool{}
	var out []*benchTitle
	ids := map[string]bool{}
	for len(seen) < want {
		p := 1 + rng.IntN(pages)
		if seen[p] {
			continue
		}
		seen[p] = true
		r, err := c.Search(ctx, domain.SearchQuery{Sort: "title", Page: p, PerPage: per})
		if err != nil {
			return nil, fmt.Errorf("draw titles (page %d): %w", p, err)
		}
		for _, w := range r.Works {
			for _, e := range w.Editions {
				if ids[e.BiblioID] || strings.TrimSpace(e.Title) == "" {
					continue
				}
				ids[e.BiblioID] = true
				bt := &benchTitle{id: e.BiblioID, title: e.Title, authors: e.Authors, subjects: e.Subjects, isbns: e.ISBNs}
				if len(bt.isbns) == 0 && e.ISBN != "" {
					bt.isbns = []string{e.ISBN}
				}
				out = append(out, bt)
			}
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}

// sampleMARC draws n records of a MARC file (reservoir sampling: every
// record equally likely, one pass).
func sampleMARC(path string, n int, rng *rand.Rand) ([]*benchTitle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := marc.NewReader(f)
	var out []*benchTitle
	seen := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		var pe *marc.ParseError
		if errors.As(err, &pe) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		mb := rec.Biblio()
		if strings.TrimSpace(mb.Title) == "" {
			continue
		}
		seen++
		bt := &benchTitle{title: mb.Title, authors: mb.Authors, subjects: mb.Subjects, isbns: mb.ISBNs}
		if len(out) < n {
			out = append(out, bt)
		} else if k := rng.IntN(seen); k < n {
			out[k] = bt
		}
	}
	return out, nil
}

// benchQueries makes known known-item queries and broad broad ones from
// titles, in a shuffled mix: known-item queries take a title's words (up
// to six), its first author's surname and a word of its title, or its
// ISBN, in turn; broad ones the commonest words of the titles' subject
// headings (which match 1-20% of a public library's catalogue), a third
// of them filtered to the copies on the shelf at the branch with the most,
// a third to books and e-books.
func benchQueries(titles []*benchTitle, known, broad int, all *domain.SearchResult, rng *rand.Rand) []benchQuery {
	var qs []benchQuery
	for i := 0; i < known; i++ {
		t := titles[i%len(titles)]
		tw := textWords(t.title)
		q := benchQuery{set: "known", form: "title", want: t}
		q.q.Q = strings.Join(tw[:min(6, len(tw))], " ")
		switch {
		case i%3 == 1 && len(t.authors) > 0:
			sur, _, _ := strings.Cut(t.authors[0], ",")
			if aw := textWords(sur); len(aw) > 0 {
				q.form = "author"
				q.q.Q = strings.Join(aw, " ") + " " + longest(tw)
			}
		case i%3 == 2 && len(t.isbns) > 0:
			q.form, q.q.Q = "isbn", t.isbns[0]
		}
		qs = append(qs, q)
	}
	freq := map[string]int{}
	for _, t := range titles {
		for _, s := range t.subjects {
			for _, w := range textWords(s) {
				if len([]rune(w)) >= 4 {
					freq[w]++
				}
			}
		}
	}
	words := make([]string, 0, len(freq))
	for w := range freq {
		words = append(words, w)
	}
	slices.SortFunc(words, func(a, b string) int {
		if freq[a] != freq[b] {
			return freq[b] - freq[a]
		}
		return strings.Compare(a, b)
	})
	words = words[:min(len(words), 20)]
	avail := topFacet(all, domain.FacetAvailableAt)
	for i := 0; i < broad && len(words) > 0; i++ {
		q := benchQuery{set: "broad", form: "subject"}
		q.q.Q = words[i%len(words)]
		switch {
		case i%3 == 1 && avail != "":
			q.form, q.q.AvailableAt = "subject+available_at", []string{avail}
		case i%3 == 2:
			q.form, q.q.Formats = "subject+format", []string{"book", "ebook"}
		}
		qs = append(qs, q)
	}
	rng.Shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
	for i := range qs {
		qs[i].fts = bareQuery(qs[i].q.Q)
	}
	return qs
}

// topFacet is the value of a facet with the highest count, or "".
func topFacet(r *domain.SearchResult, name string) string {
	best, n := "", 0
	for _, v := range r.Facets[name] {
		if v.Count > n && v.Value != "*" {
			best, n = v.Value, v.Count
		}
	}
	return best
}

// textWords are the words of s: runs of letters and digits.
func textWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// longest is the longest of ws (the first of equals), or "".
func longest(ws []string) string {
	best := ""
	for _, w := range ws {
		if len(w) > len(best) {
			best = w
		}
	}
	return best
}

// bareQuery is the FTS5 query of q's words: each quoted, all required, as
// the index matches them; an ISBN in the identifier column.
func bareQuery(q string) string {
	ws := textWords(q)
	if len(ws) == 1 && isISBNish(ws[0]) {
		return `{ident} : "` + strings.ToUpper(ws[0]) + `"`
	}
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = `"` + w + `"`
	}
	return strings.Join(parts, " ")
}

func isISBNish(s string) bool {
	if len(s) != 10 && len(s) != 13 {
		return false
	}
	for i, r := range s {
		if !(r >= '0' && r <= '9' || (r == 'x' || r == 'X') && i == len(s)-1) {
			return false
		}
	}
	return true
}

// procMemory reads a process's resident memory and its peak.
func procMemory(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	var parts []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") || strings.HasPrefix(l, "VmHWM:") {
			parts = append(parts, strings.Join(strings.Fields(l), " "))
		}
	}
	if len(parts) == 0 {
		return "unknown (no VmRSS in /proc)"
	}
	return strings.Join(parts, ", ")
}
