package marc_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"stacks/branch/marc"
)

// FuzzMARC feeds arbitrary bytes to the reader: it must not panic, must
// terminate, and every record it returns must survive Write and a re-read
// unchanged.
func FuzzMARC(f *testing.F) {
	if _, err := os.Stat(dataDir); err == nil {
		for _, name := range []string{"jazz_1k.mrc", "hebrew.marc", "nepali.marc", "FSL.marc"} {
			data := readData(f, name)
			f.Add(data[:bytes.IndexByte(data, 0x1d)+1])
		}
		xml := readData(f, "badisbns.xml")
		f.Add(xml[:2000])
		f.Add(readData(f, "rda/RDA_record_SERIAL_IEEE_International_conference.mrc"))
	}
	synthetic, _ := marc.Marshal(rec(bookLeader, "001 x", "245 10$aCaf\u00e9 /$cMe.", "650  0$aJazz$zCuba"))
	f.Add(synthetic)
	f.Add(append(bytes.Clone(synthetic), synthetic...))
	f.Add([]byte("00026nam  2200025   4500\x1e\x1d"))
	f.Add([]byte("00100nam  22000xx   4500001000300000\x1e\x1b(2abc\xe2e\x1e\x1d"))
	f.Add([]byte(`<record><leader>00000nam a2200000 a 4500</leader><controlfield tag="001">1</controlfield><datafield tag="245" ind1="1" ind2="0"><subfield code="a">T</subfield></datafield></record>`))
	f.Add([]byte("garbage\x1d\x1d\x1d"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := marc.NewReader(bytes.NewReader(data))
		for i := 0; ; i++ {
			if i > len(data)+2 {
				t.Fatal("reader makes no progress")
			}
			rec, err := r.Next()
			if err == io.EOF {
				return
			}
			var pe *marc.ParseError
			if errors.As(err, &pe) {
				continue
			}
			if err != nil {
				return // a final error (broken XML)
			}
			rec.Biblio()
			b, err := marc.Marshal(rec)
			if errors.Is(err, marc.ErrTooLong) {
				continue // MARC-8 and XML text can grow past ISO 2709 limits
			}
			if err != nil {
				t.Fatalf("record %d was read but cannot be written: %v", i+1, err)
			}
			back, err := marc.Unmarshal(b)
			if err != nil {
				t.Fatalf("record %d: written form does not read back: %v\n%q", i+1, err, b)
			}
			if d := sameRecord(rec, back); d != "" {
				t.Fatalf("record %d changed in a round trip: %s", i+1, d)
			}
		}
	})
}
