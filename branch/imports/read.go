package imports

import (
	"errors"
	"io"

	"stacks/branch/domain"
	"stacks/branch/marc"
)

// Read reads the MARC records of r (ISO 2709 or MARCXML) in batches of at
// most n, numbering them from 1 in file order, and hands each batch to
// batch. A malformed record goes to bad (its number and byte offset are in
// the error) and the records after it still come; what the reader
// repaired in a record it kept goes to warn. It returns how many records
// it read, good and bad.
func Read(r io.Reader, n int, batch func([]Record) error, bad func(*marc.ParseError), warn func(marc.Warning)) (int, error) {
	if n <= 0 || n > domain.ImportMaxRecords {
		n = domain.ImportMaxRecords
	}
	mr := marc.NewReader(r)
	var buf []Record
	read := 0
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		err := batch(buf)
		buf = nil
		return err
	}
	for {
		rec, err := mr.Next()
		if err == io.EOF {
			break
		}
		var pe *marc.ParseError
		if errors.As(err, &pe) {
			read++
			if bad != nil {
				bad(pe)
			}
			continue
		}
		if err != nil {
			return read, err
		}
		read++
		var off int64
		for _, w := range mr.Warnings() {
			off = w.Offset
			if warn != nil {
				warn(w)
			}
		}
		buf = append(buf, Record{Ordinal: read, Offset: off, MARC: rec})
		if len(buf) == n {
			if err := flush(); err != nil {
				return read, err
			}
		}
	}
	return read, flush()
}
