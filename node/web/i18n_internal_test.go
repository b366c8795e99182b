package web

import (
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"stacks/branch/domain"
)

// Every language has exactly the keys of every other; every key a
// template or handler names exists; every refusal code, status, format
// and fee kind the pages show has its words.
func TestCatalogueComplete(t *testing.T) {
	c, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	en := c.msgs["en"]
	for _, l := range c.langs {
		for k := range en {
			if _, ok := c.msgs[l][k]; !ok {
				t.Errorf("%s lacks %q", l, k)
			}
		}
		for k, v := range c.msgs[l] {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %q, which en lacks", l, k)
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %q is empty", l, k)
			}
			if strings.Count(v, "%") != strings.Count(en[k], "%") {
				t.Errorf("%s: %q has other placeholders than en", l, k)
			}
		}
	}
	var need []string
	for _, code := range domain.Codes() {
		need = append(need, "error."+string(code))
	}
	for _, s := range []string{domain.HoldWaiting, domain.HoldInTransit, domain.HoldReady, domain.HoldExpired, domain.HoldCancelled, domain.HoldFulfilled} {
		need = append(need, "hold.status."+s)
	}
	for _, s := range []string{domain.ItemAvailable, domain.ItemCheckedOut, domain.ItemOnHoldShelf, domain.ItemInTransit, domain.ItemLost,
		domain.ItemMissing, domain.ItemDamaged, domain.ItemWithdrawn} {
		need = append(need, "status."+s)
	}
	for _, f := range domain.Formats {
		need = append(need, "format."+f)
	}
	for _, k := range feeKinds {
		need = append(need, "fee."+k)
	}
	for _, k := range fixedFeeTexts {
		need = append(need, k)
	}
	need = append(need, "feedesc.late.one", "feedesc.late.other", "feedesc.late_renewal.one", "feedesc.late_renewal.other")
	// Keys named literally in templates and Go files.
	lit := regexp.MustCompile(`\.(?:T|N) "([a-z_.0-9]+)"|p\.(?:T|N)\("([a-z_.0-9]+)"`)
	for _, dir := range []fs.FS{templateFS, os.DirFS(".")} {
		fs.WalkDir(dir, ".", func(path string, d fs.DirEntry, err error) error {
			if d.IsDir() || strings.HasSuffix(path, "_test.go") || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".html")) {
				return nil
			}
			b, _ := fs.ReadFile(dir, path)
			for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
				if k := m[1] + m[2]; !strings.HasSuffix(k, ".") { // a prefix: its keys are listed above
					need = append(need, k)
				}
			}
			return nil
		})
	}
	for _, k := range need {
		if _, ok := en[k]; ok {
			continue
		}
		if _, ok := en[k+".one"]; ok && slices.Contains(slices.Collect(mapsKeys(en)), k+".other") {
			continue
		}
		t.Errorf("no message %q", k)
	}
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestAcceptLanguage(t *testing.T) {
	c, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range map[string]string{"": "en", "fi": "fi", "fi-FI": "fi", "sv-FI, fi;q=0.8": "fi", "de": "en", "en-GB,fi;q=0.1": "en", "garbage;;": "en"} {
		if got := c.fromAcceptLanguage(h); got != want {
			t.Errorf("%q: %s, want %s", h, got, want)
		}
	}
}
