package imports_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/imports"
)

// BenchmarkImportJazz imports jazz_1k.mrc (1,000 MARC-8 records) into an
// empty catalogue, in batches of 500 as the CLI sends them, reading and
// decoding the file included; durable (each batch a committed
// transaction), with no copies and with one copy per title. It reports
// records/s.
func BenchmarkImportJazz(b *testing.B) {
	b.Run("titles", func(b *testing.B) { benchImport(b, domain.ImportOptions{}) })
	b.Run("titles+copy", func(b *testing.B) { benchImport(b, domain.ImportOptions{Items: 1, Library: "MAIN"}) })
}

func benchImport(b *testing.B, opts domain.ImportOptions) {
	data, err := os.ReadFile(filepath.Join(dataDir, "jazz_1k.mrc"))
	mustNoErr(b, err)
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
