package imports_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/imports"
	"stacks/branch/marc"
	"stacks/replicate"
)

// BenchmarkImportJazz imports jazz_1k.mrc (1,000 MARC-8 records) into an
// empty catalogue, in batches of 500 as the CLI sends them, reading and
// decoding the file included; durable (each batch a committed
// transaction). "titles" adds no copies; "copies1.5" gives the records
// 952 holdings fields, one or two each (1.5 a title on average, as a
// library has them); "bare-sql" is the limit beside them: the same titles
// and copies, already decoded, written straight into biblios and items
// with multi-row inserts in transactions of 500 titles, without the op
// log, match keys or checks. Each reports records/s.
func BenchmarkImportJazz(b *testing.B) {
	plain, err := os.ReadFile(filepath.Join(dataDir, "jazz_1k.mrc"))
	mustNoErr(b, err)
	held := withHoldings(b, plain)
	b.Run("titles", func(b *testing.B) { benchImport(b, plain, domain.ImportOptions{}) })
	b.Run("copies1.5", func(b *testing.B) { benchImport(b, held, domain.ImportOptions{}) })
	b.Run("bare-sql", func(b *testing.B) { benchBare(b, held) })
}

// withHoldings rewrites the records of data with one 952 (at MAIN) for odd
// records and two (MAIN, EAST) for even ones, as UTF-8 ISO 2709.
func withHoldings(tb testing.TB, data []byte) []byte {
	var out bytes.Buffer
	r := marc.NewReader(bytes.NewReader(data))
	for n := 1; ; n++ {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		mustNoErr(tb, err)
		rec.Fields = append(rec.Fields, holding("MAIN", fmt.Sprintf("J%06d-1", n)))
		if n%2 == 0 {
			rec.Fields = append(rec.Fields, holding("EAST", fmt.Sprintf("J%06d-2", n)))
		}
		mustNoErr(tb, marc.Write(&out, rec))
	}
	return out.Bytes()
}

func holding(lib, barcode string) marc.Field {
	return data("952", "a"+lib, "b"+lib, "p"+barcode, "yBOOK", "o781.65")
}

func benchImport(b *testing.B, data []byte, opts domain.ImportOptions) {
	records := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := open(b, branchtest.Options{})
		b.StartTimer()
		n, err := imports.Read(bytes.NewReader(data), 500, func(recs []imports.Record) error {
			_, err := e.imp.Import(e.ctx, opts, recs)
			return err
		}, nil, nil)
		mustNoErr(b, err)
		records += n
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// benchBare writes the titles and copies of data straight into the state
// tables, 500 titles a durable transaction: what the import's rows cost
// without the op log, matching or checks.
func benchBare(b *testing.B, data []byte) {
	var bibs [][]any
	var items [][][]any
	r := marc.NewReader(bytes.NewReader(data))
	for n := 1; ; n++ {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		mustNoErr(b, err)
		mb := rec.Biblio()
		id := fmt.Sprintf("bib-%06d", n)
		bibs = append(bibs, []any{id, mb.Title, mb.Subtitle, fmt.Sprintf("%q", mb.Authors), fmt.Sprintf("%q", mb.Subjects),
			mb.ISBN, mb.Language, mb.Format, mb.Publisher, mb.Year})
		var its [][]any
		for k, f := range rec.Get("952") {
			its = append(its, []any{fmt.Sprintf("%s-%d", id, k), f.Sub('p'), id, f.Sub('a'), f.Sub('a'), f.Sub('y'), f.Sub('o')})
		}
		items = append(items, its)
	}
	ctx := context.Background()
	records := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := open(b, branchtest.Options{})
		b.StartTimer()
		for lo := 0; lo < len(bibs); lo += 500 {
			hi := min(lo+500, len(bibs))
			mustNoErr(b, e.Log.Update(ctx, func(tx *replicate.Tx) error {
				var ba, ia []any
				for j := lo; j < hi; j++ {
					ba = append(ba, bibs[j]...)
					for _, it := range items[j] {
						ia = append(ia, it...)
					}
				}
				if err := tx.ExecValues(ctx, `INSERT INTO biblios (biblio_id, title, subtitle, authors, subjects, isbn, language, format, publisher, year)`,
					10, ``, ba); err != nil {
					return err
				}
				if len(ia) == 0 {
					return nil
				}
				return tx.ExecValues(ctx, `INSERT INTO items (item_id, barcode, biblio_id, home_branch, location, item_type, call_number)`, 7, ``, ia)
			}))
		}
		records += len(bibs)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkImportFile imports the MARC file named by $STACKS_BENCH_MARC
// (e.g. one stacks demo-catalogue wrote) into a catalogue with the demo's
// libraries and item types, in batches of 1,000 as the CLI sends them;
// skipped without it.
func BenchmarkImportFile(b *testing.B) {
	path := os.Getenv("STACKS_BENCH_MARC")
	if path == "" {
		b.Skip("set STACKS_BENCH_MARC to a MARC file")
	}
	data, err := os.ReadFile(path)
	mustNoErr(b, err)
	records := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := open(b, branchtest.Options{})
		for _, id := range []string{"WEST", "NORTH"} {
			mustNoErr(b, e.Service.SetLibrary(e.ctx, domain.Library{BranchID: id, Name: id, HoldShelfDays: 7}))
		}
		for _, it := range []string{"DVD", "BLURAY", "CD", "AUDIOBOOK", "SCORE", "MAP", "SERIAL"} {
			mustNoErr(b, e.Service.SetItemType(e.ctx, domain.ItemType{ItemType: it, Description: it}))
		}
		b.StartTimer()
		n, err := imports.Read(bytes.NewReader(data), 1000, func(recs []imports.Record) error {
			_, err := e.imp.Import(e.ctx, domain.ImportOptions{}, recs)
			return err
		}, nil, nil)
		mustNoErr(b, err)
		records += n
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
