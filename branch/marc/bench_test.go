package marc_test

import (
	"bytes"
	"io"
	"testing"

	"stacks/branch/marc"
)

// BenchmarkReadJazz reads all 1000 MARC-8 records of jazz_1k.mrc from
// memory, mapping each to a Biblio as an import does.
func BenchmarkReadJazz(b *testing.B) {
	benchmarkRead(b, "jazz_1k.mrc")
}

// BenchmarkReadXML reads the MARCXML serials file.
func BenchmarkReadXML(b *testing.B) {
	benchmarkRead(b, "serials_marc21.xml")
}

func benchmarkRead(b *testing.B, file string) {
	data := readData(b, file)
	b.SetBytes(int64(len(data)))
	n := 0
	for b.Loop() {
		r := marc.NewReader(bytes.NewReader(data))
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rec.Biblio()
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
