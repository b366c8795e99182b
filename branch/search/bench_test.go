package search_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/audit"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/search"
)

// benchTitles is the catalogue size of the benchmarks: STACKS_SEARCH_BENCH_N
// (e.g. 1000000), default 20,000.
func benchTitles() int {
	if n, err := strconv.Atoi(os.Getenv("STACKS_SEARCH_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return 20000
}

var benchSubjects = []string{"Fiction", "History", "Science", "Poetry", "Cooking", "Travel", "Biography", "Children's stories", "Art", "Music"}

// benchCatalogue generates n titles (1.5 copies each over 4 branches,
// Zipf-distributed title words, 10 subjects) and opens the index on them.
func benchCatalogue(b *testing.B, n int) (*search.Index, context.Context, []domain.NewBiblio) {
	b.Helper()
	env := branchtest.Open(b, branchtest.Options{})
	ctx := branchtest.Admin(context.Background())
	branchtest.SeedPolicy(b, ctx, env.Service)
	for _, br := range []string{"WEST", "NORTH"} {
		if err := env.Service.SetLibrary(ctx, domain.Library{BranchID: br, Name: br, HoldShelfDays: 5}); err != nil {
			b.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	syl := []string{"ka", "lo", "mi", "ra", "ten", "su", "vor", "el", "an", "dri", "po", "qu", "ze", "ha", "ni", "bo"}
	vocab := make([]string, 20000)
	for i := range vocab {
		w := ""
		for k := 0; k < 2+i%3; k++ {
			w += syl[r.IntN(len(syl))]
		}
		vocab[i] = w + strconv.Itoa(i%97)
	}
	z := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.1, 2, uint64(len(vocab)-1))
	formats := []string{"book", "book", "book", "ebook", "audiobook", "dvd", "large_print"}
	langs := []string{"eng", "eng", "eng", "fin", "swe", "fre", "ger"}
	branches := []string{"MAIN", "EAST", "WEST", "NORTH"}
	nbs := make([]domain.NewBiblio, n)
	for i := range nbs {
		t := ""
		for k := 0; k < 1+r.IntN(5); k++ {
			if k > 0 {
				t += " "
			}
			t += vocab[z.Uint64()]
		}
		nbs[i] = domain.NewBiblio{Title: t, Authors: []string{vocab[r.IntN(3000)] + ", " + vocab[r.IntN(3000)]},
			Subjects: []string{benchSubjects[r.IntN(len(benchSubjects))]}, Format: formats[r.IntN(len(formats))],
			Language: langs[r.IntN(len(langs))], Year: 1900 + r.IntN(125), Audience: domain.Audiences[r.IntN(3)]}
		if nbs[i].Format == "ebook" {
			nbs[i].Licences = 1
		}
	}
	start := time.Now()
	const chunk = 2000
	for i := 0; i < n; i += chunk {
		ids, err := env.Service.AddBiblios(ctx, nbs[i:min(n, i+chunk)])
		if err != nil {
			b.Fatal(err)
		}
		var items []domain.NewItem
		for j, id := range ids {
			if nbs[i+j].Format == "ebook" {
				continue
			}
			items = append(items, domain.NewItem{Barcode: fmt.Sprintf("X%d", i+j), BiblioID: id, HomeBranch: branches[(i+j)%4], ItemType: "BOOK"})
			if (i+j)%2 == 0 {
				items = append(items, domain.NewItem{Barcode: fmt.Sprintf("Y%d", i+j), BiblioID: id, HomeBranch: branches[(i+j+1)%4], ItemType: "BOOK"})
			}
		}
		if _, err := env.Service.AddItems(ctx, items); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d titles loaded (indexed as they applied) in %v", n, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	x, err := search.Open(ctx, env.Service, nil, env.Clock.Now)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("index opened (loaded into memory) in %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if _, err := search.Rebuild(ctx, env.Service, env.Clock.Now()); err != nil {
		b.Fatal(err)
	}
	b.Logf("index rebuilt from the state tables in %v", time.Since(start).Round(time.Millisecond))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st, _ := os.ReadFile("/proc/self/status")
	var rss string
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "VmRSS") || strings.HasPrefix(l, "VmHWM") {
			rss += strings.Join(strings.Fields(l), " ") + " "
		}
	}
	// The fake clock never runs the WAL checkpointer: checkpoint by hand
	// so the file's size is the database's.
	raw, err := sql.Open("sqlite3", env.DB.Path())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Logf("checkpoint: %v", err)
	}
	var pages, ftsRows int64
	_ = raw.QueryRowContext(ctx, `SELECT count(*) FROM search_fts_data`).Scan(&ftsRows)
	_ = raw.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages)
	raw.Close()
	var disk int64
	if fi, err := os.Stat(env.DB.Path()); err == nil {
		disk = fi.Size()
	}
	var docs int64
	if err := env.Service.Read().QueryRowContext(ctx, `SELECT count(*) FROM search_docs`).Scan(&docs); err != nil {
		b.Fatal(err)
	}
	b.Logf("Go heap in use %d MB; %s; database file after a checkpoint %d MB (%d pages; %d titles indexed, %d FTS5 segment rows)",
		ms.HeapInuse>>20, rss, disk>>20, pages, docs, ftsRows)
	return x, ctx, nbs
}

// report runs queries b.N times and reports p50 and p95.
func report(b *testing.B, x *search.Index, ctx context.Context, qs []domain.SearchQuery) {
	var lat []time.Duration
	total := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := qs[i%len(qs)]
		t := time.Now()
		r, err := x.Search(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
		total += r.Total
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(total)/float64(b.N), "hits/op")
}

// BenchmarkSearch is the mix of the issue: 1,000 known-item queries (a
// title's words) and 100 broad ones (a subject word, or two OR-ed through
// facets: 10-20% of the catalogue), each with every facet counted.
func BenchmarkSearch(b *testing.B) {
	n := benchTitles()
	x, ctx, nbs := benchCatalogue(b, n)
	var known, broad, mix []domain.SearchQuery
	for i := range 1000 {
		known = append(known, domain.SearchQuery{Q: nbs[(i*7919)%n].Title})
	}
	for i := range 100 {
		q := domain.SearchQuery{Q: benchSubjects[i%len(benchSubjects)]}
		if i%3 == 1 {
			q.AvailableAt = []string{"MAIN"}
		}
		if i%3 == 2 {
			q.Q = "fiction"
			q.Formats = []string{"book", "ebook"}
		}
		broad = append(broad, q)
	}
	for i := range 1100 {
		if i%11 == 10 {
			mix = append(mix, broad[i/11])
		} else {
			mix = append(mix, known[i-i/11])
		}
	}
	b.Run("known", func(b *testing.B) { report(b, x, ctx, known) })
	b.Run("broad", func(b *testing.B) { report(b, x, ctx, broad) })
	b.Run("mix", func(b *testing.B) { report(b, x, ctx, mix) })
	b.Run("all", func(b *testing.B) { report(b, x, ctx, []domain.SearchQuery{{}}) })
}

// BenchmarkAddBiblios is what the index costs the applier: 1,000 titles
// with 1.5 copies each added in commands of 500, with and without search.
func BenchmarkAddBiblios(b *testing.B) {
	for _, tc := range []struct {
		name string
		caps func(*branchtest.Env) []branch.Capability
	}{
		{"without-search", func(*branchtest.Env) []branch.Capability { return []branch.Capability{audit.Capability()} }},
		{"with-search", nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			o := branchtest.Options{}
			if tc.caps != nil {
				o.Capabilities = tc.caps(nil)
			}
			env := branchtest.Open(b, o)
			ctx := branchtest.Admin(context.Background())
			branchtest.SeedPolicy(b, ctx, env.Service)
			n := 0
			b.ResetTimer()
			for range b.N {
				for c := 0; c < 2; c++ {
					nbs := make([]domain.NewBiblio, 500)
					for i := range nbs {
						n++
						nbs[i] = domain.NewBiblio{Title: fmt.Sprintf("Title %d of the benchmark", n), Authors: []string{fmt.Sprintf("Author %d", n%300)},
							Subjects: []string{benchSubjects[n%len(benchSubjects)]}, Year: 1900 + n%120}
					}
					ids, err := env.Service.AddBiblios(ctx, nbs)
					if err != nil {
						b.Fatal(err)
					}
					var items []domain.NewItem
					for i, id := range ids {
						items = append(items, domain.NewItem{Barcode: fmt.Sprintf("A%d-%d", n, i), BiblioID: id, ItemType: "BOOK"})
						if i%2 == 0 {
							items = append(items, domain.NewItem{Barcode: fmt.Sprintf("B%d-%d", n, i), BiblioID: id, ItemType: "BOOK", HomeBranch: "EAST"})
						}
					}
					if _, err := env.Service.AddItems(ctx, items); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "titles/s")
		})
	}
}
