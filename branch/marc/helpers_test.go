package marc_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stacks/branch/marc"
)

// dataDir holds the shared real-world test catalogue; it is not shipped
// with the product.
const dataDir = "../../../shared/data/marc"

// readData returns a file of the shared catalogue, skipping the test when
// the catalogue is absent.
func readData(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("shared MARC test data not found at %s (it lives in the project's shared/ folder)", dataDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// result is one outcome of Reader.Next.
type result struct {
	rec *marc.Record
	err error
}

// readAll drains a reader, failing on a final error other than io.EOF.
func readAll(t testing.TB, data []byte) []result {
	t.Helper()
	r := marc.NewReader(bytes.NewReader(data))
	var out []result
	for i := 0; ; i++ {
		if i > len(data)+10 {
			t.Fatal("reader makes no progress")
		}
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		var pe *marc.ParseError
		if err != nil && !errors.As(err, &pe) {
			out = append(out, result{err: err})
			return out
		}
		out = append(out, result{rec, err})
	}
}

// records reads every record of data and fails on any error.
func records(t testing.TB, data []byte) []*marc.Record {
	t.Helper()
	var recs []*marc.Record
	for _, res := range readAll(t, data) {
		if res.err != nil {
			t.Fatalf("record %d: %v", len(recs)+1, res.err)
		}
		recs = append(recs, res.rec)
	}
	return recs
}

// line renders a field as `yaz-marcdump -o line` does.
func line(f marc.Field) string {
	if f.IsControl() {
		return f.Tag + " " + f.Value
	}
	var b strings.Builder
	b.WriteString(f.Tag + " " + string([]byte{f.Ind1, f.Ind2}))
	for _, s := range f.Subfields {
		b.WriteString(" $" + string(s.Code) + " " + s.Value)
	}
	return b.String()
}

// leaderMask blanks the leader positions that Write computes.
func leaderMask(l string) string {
	b := []byte(l)
	for _, i := range []int{0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23} {
		if i < len(b) {
			b[i] = '#'
		}
	}
	return string(b)
}

// sameRecord reports how a and b differ, apart from computed leader
// positions, or "" when they do not.
func sameRecord(a, b *marc.Record) string {
	if leaderMask(a.Leader) != leaderMask(b.Leader) {
		return "leader " + a.Leader + " != " + b.Leader
	}
	if len(a.Fields) != len(b.Fields) {
		return "field count differs"
	}
	for i := range a.Fields {
		fa, fb := a.Fields[i], b.Fields[i]
		if fa.Tag != fb.Tag || fa.Ind1 != fb.Ind1 || fa.Ind2 != fb.Ind2 || fa.Value != fb.Value || len(fa.Subfields) != len(fb.Subfields) {
			return "field " + line(fa) + " != " + line(fb)
		}
		for j := range fa.Subfields {
			if fa.Subfields[j] != fb.Subfields[j] {
				return "field " + line(fa) + " != " + line(fb)
			}
		}
	}
	return ""
}
