package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"stacks/branch/marc"
	"stacks/node/client/clienttest"
)

const marcDataDir = "../../../shared/data/marc"

// summaryLine is the last line of stacks import marc.
var summaryLine = regexp.MustCompile(`read (\d+), added (\d+), overlaid (\d+), skipped (\d+), errors (\d+) \(copies added (\d+)\)\n$`)

func runImportCLI(t *testing.T, args ...string) (tally importTally, out string) {
	t.Helper()
	var so, se bytes.Buffer
	if err := run(context.Background(), append([]string{"import", "marc"}, args...), &so, &se); err != nil {
		t.Fatalf("stacks import marc %s: %v\n%s%s", strings.Join(args, " "), err, so.String(), se.String())
	}
	m := summaryLine.FindStringSubmatch(so.String())
	if m == nil {
		t.Fatalf("no summary line:\n%s", so.String())
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	return importTally{read: n(1), added: n(2), overlaid: n(3), skipped: n(4), errors: n(5), items: n(6)}, so.String()
}

func countBiblios(t *testing.T, s *clienttest.Server) int {
	t.Helper()
	var n int
	if err := s.Service.Read().QueryRow(`SELECT count(*) FROM biblios`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// countOps counts the catalogue's ops: every op but the audit log's (each
// request to the API is audited).
func countOps(t *testing.T, s *clienttest.Server) int {
	t.Helper()
	var n int
	if err := s.Service.Read().QueryRow(`SELECT count(*) FROM ops WHERE kind NOT IN (SELECT id FROM op_names WHERE name='audit.record')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// recordCount counts a file's records without the MARC reader.
func recordCount(data []byte) int {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")) {
		return bytes.Count(data, []byte("<record"))
	}
	return bytes.Count(data, []byte{0x1d})
}

func TestImportMARCEveryFile(t *testing.T) {
	var files []string
	for _, pat := range []string{"*.mrc", "*.marc", "*.xml", "rda/*.mrc"} {
		m, _ := filepath.Glob(filepath.Join(marcDataDir, pat))
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("%d MARC files", len(files))
	}
	s := clienttest.New(t, clienttest.Options{})
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := recordCount(data)
		before := countBiblios(t, s)
		got, out := runImportCLI(t, "--api", s.URL, "-u", "admin:admin", f)
		if got.read != want || got.errors != 0 || got.added+got.skipped != want || got.added == 0 {
			t.Fatalf("%s: %d records in the file; %+v\n%s", f, want, got, out)
		}
		if n := countBiblios(t, s); n-before != got.added {
			t.Fatalf("%s: %d titles more, %d added", f, n-before, got.added)
		}
		// Re-running the file adds nothing and writes nothing.
		ops := countOps(t, s)
		again, _ := runImportCLI(t, "--api", s.URL, "-u", "admin:admin", f)
		if again.added != 0 || again.skipped != want || countOps(t, s) != ops {
			t.Fatalf("%s: re-import %+v, ops %d -> %d", f, again, ops, countOps(t, s))
		}
	}
}

func TestImportMARCDryRunAndTruncated(t *testing.T) {
	s := clienttest.New(t, clienttest.Options{})
	all, err := os.ReadFile(filepath.Join(marcDataDir, "jazz_1k.mrc"))
	if err != nil {
		t.Fatal(err)
	}
	end := 0
	for i := 0; i < 3; i++ {
		end += bytes.IndexByte(all[end:], 0x1d) + 1
	}
	next := bytes.IndexByte(all[end:], 0x1d) + 1
	f := filepath.Join(t.TempDir(), "cut.mrc")
	if err := os.WriteFile(f, all[:end+next/2], 0o644); err != nil {
		t.Fatal(err)
	}
	ops := countOps(t, s)
	dry, out := runImportCLI(t, "--api", s.URL, "-u", "admin:admin", "--dry-run", "--items", "2", "--library", "EAST", f)
	if dry.read != 4 || dry.added != 3 || dry.errors != 1 || dry.items != 6 || countOps(t, s) != ops {
		t.Fatalf("dry run: %+v, ops %d -> %d\n%s", dry, ops, countOps(t, s), out)
	}
	if !strings.Contains(out, "record 2: would be added") || !strings.Contains(out, "dry run, nothing written") {
		t.Fatalf("dry run does not say what it would do:\n%s", out)
	}
	wantBad := "record 4 at byte offset " + strconv.Itoa(end) + ": error:"
	if !strings.Contains(out, wantBad) {
		t.Fatalf("the truncated record is not reported as %q:\n%s", wantBad, out)
	}
	got, _ := runImportCLI(t, "--api", s.URL, "-u", "admin:admin", "--items", "2", "--library", "EAST", f)
	if got.added != 3 || got.errors != 1 || got.items != 6 {
		t.Fatalf("import: %+v", got)
	}
	over, _ := runImportCLI(t, "--api", s.URL, "-u", "admin:admin", "--action", "overlay", f)
	if over.overlaid != 3 || over.added != 0 {
		t.Fatalf("overlay: %+v", over)
	}
}

func TestImportMARCNeedsCatalogueWrite(t *testing.T) {
	s := clienttest.New(t, clienttest.Options{})
	var so, se bytes.Buffer
	err := run(context.Background(), []string{"import", "marc", "--api", s.URL, "-u", "clerk:clerk",
		filepath.Join(marcDataDir, "map_data.mrc")}, &so, &se)
	if err == nil || !strings.Contains(err.Error(), "catalogue.write") {
		t.Fatalf("a clerk imported: %v\n%s", err, so.String())
	}
}

// TestImportMARCDryRunMatchesInFile: a dry run writes nothing, so two
// records of one file with the same ISBN (one as ISBN-10, one as ISBN-13)
// in different batches must be matched by the run itself: the second is
// "matched in this file", as the real import then matches it.
func TestImportMARCDryRunMatchesInFile(t *testing.T) {
	s := clienttest.New(t, clienttest.Options{})
	var buf bytes.Buffer
	for i, r := range []*marc.Record{
		testRecord("First", "0-306-40615-2 (pbk.)"),
		testRecord("Other", "080442957X"),
		testRecord("First again", "978-0-306-40615-7"),
		testRecord("Other again", "9780804429573"),
		testRecord("Alone", "9791234567896"),
	} {
		if err := marc.Write(&buf, r); err != nil {
			t.Fatal(i, err)
		}
	}
	f := filepath.Join(t.TempDir(), "dups.mrc")
	if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, batch := range []string{"1", "2", "1000"} {
		dry, out := runImportCLI(t, "--api", s.URL, "-u", "admin:admin", "--dry-run", "--batch", batch, f)
		if dry.added != 3 || dry.skipped != 2 {
			t.Fatalf("batch %s: dry run: %+v\n%s", batch, dry, out)
		}
		for _, want := range []string{"record 3: would be skipped (matched in this file: record 1, by isbn)",
			"record 4: would be skipped (matched in this file: record 2, by isbn)", "record 5: would be added"} {
			if !strings.Contains(out, want) {
				t.Fatalf("batch %s: no %q in\n%s", batch, want, out)
			}
		}
	}
	over, out := runImportCLI(t, "--api", s.URL, "-u", "admin:admin", "--dry-run", "--batch", "1", "--action", "overlay", f)
	if over.added != 3 || over.overlaid != 2 || !strings.Contains(out, "record 3: would be overlaid (matched in this file: record 1, by isbn)") {
		t.Fatalf("dry run, overlay: %+v\n%s", over, out)
	}
	before := countBiblios(t, s)
	real, _ := runImportCLI(t, "--api", s.URL, "-u", "admin:admin", "--batch", "1", f)
	if real.added != 3 || real.skipped != 2 || countBiblios(t, s) != before+3 {
		t.Fatalf("the import does not do what the dry run said: %+v", real)
	}
}

func testRecord(title, isbn string) *marc.Record {
	return &marc.Record{Leader: "00000nam a2200000 a 4500", Fields: []marc.Field{
		{Tag: "020", Ind1: ' ', Ind2: ' ', Subfields: []marc.Subfield{{Code: 'a', Value: isbn}}},
		{Tag: "245", Ind1: '1', Ind2: '0', Subfields: []marc.Subfield{{Code: 'a', Value: title}}},
	}}
}
