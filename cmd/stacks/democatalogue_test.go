package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"stacks/branch/domain"
	"stacks/branch/marc"
	"stacks/node/client/clienttest"
)

func demoCatalogue(t *testing.T, out string, args ...string) []byte {
	t.Helper()
	var so, se bytes.Buffer
	args = append([]string{"demo-catalogue", "--marc", marcDataDir, "--out", out}, args...)
	if err := run(context.Background(), args, &so, &se); err != nil {
		t.Fatalf("stacks %v: %v\n%s", args, err, se.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestDemoCatalogue: the demo catalogue is the same file for the same
// seed, varied (formats, languages, titles), with 1.5 copies a title
// across the libraries, and stacks import marc loads all of it, once.
func TestDemoCatalogue(t *testing.T) {
	dir := t.TempDir()
	const titles = 2000
	a := demoCatalogue(t, filepath.Join(dir, "a.mrc"), "--titles", "2000", "--seed", "7", "--libraries", "MAIN,EAST")
	b := demoCatalogue(t, filepath.Join(dir, "b.mrc"), "--titles", "2000", "--seed", "7", "--libraries", "MAIN,EAST")
	c := demoCatalogue(t, filepath.Join(dir, "c.mrc"), "--titles", "2000", "--seed", "8", "--libraries", "MAIN,EAST")
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatal("the same seed must give the same file, another seed another")
	}
	formats, langs, names := map[string]int{}, map[string]int{}, map[string]bool{}
	copies, digitalWithCopies := 0, 0
	r := marc.NewReader(bytes.NewReader(a))
	n := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		mb := rec.Biblio()
		formats[mb.Format]++
		langs[mb.Language]++
		names[mb.Title+" : "+mb.Subtitle] = true
		h := len(rec.Get("952"))
		copies += h
		if (mb.Format == marc.FormatEbook || mb.Format == marc.FormatEaudiobook) && h > 0 {
			digitalWithCopies++
		}
	}
	if n != titles || len(formats) < 10 || len(langs) < 8 || len(names) < titles*85/100 || digitalWithCopies != 0 {
		t.Fatalf("%d records; formats %v; languages %v; %d distinct titles; %d digital titles with copies", n, formats, langs, len(names), digitalWithCopies)
	}
	if copies < titles*14/10 || copies > titles*16/10 {
		t.Fatalf("%d copies for %d titles, want about 1.5 a title", copies, titles)
	}

	s := clienttest.New(t, clienttest.Options{})
	ctx := s.Admin
	for _, it := range []string{"AUDIOBOOK", "BLURAY", "CD", "SCORE", "MAP", "SERIAL"} {
		if err := s.Service.SetItemType(ctx, domain.ItemType{ItemType: it, Description: it}); err != nil {
			t.Fatal(err)
		}
	}
	got, out := runImportCLI(t, "--api", s.URL, "-u", "admin:admin", filepath.Join(dir, "a.mrc"))
	if got.read != titles || got.added != titles || got.errors != 0 || got.items != copies {
		t.Fatalf("import: %+v, want %d titles and %d copies\n%s", got, titles, copies, out)
	}
	again, _ := runImportCLI(t, "--api", s.URL, "-u", "admin:admin", filepath.Join(dir, "a.mrc"))
	if again.added != 0 || again.skipped != titles {
		t.Fatalf("re-import: %+v", again)
	}
}
