package sip2

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"stacks/branch/domain"
)

// TestTextsComplete: every language has the same keys with the same
// placeholders, every domain refusal code has words, and every key the
// code names exists.
func TestTextsComplete(t *testing.T) {
	c, err := loadTexts()
	if err != nil {
		t.Fatal(err)
	}
	en := c["en"]
	for _, l := range domain.Languages {
		for k, v := range c[l] {
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
		for k := range en {
			if _, ok := c[l][k]; !ok {
				t.Errorf("%s lacks %q", l, k)
			}
		}
		for _, code := range domain.Codes() {
			if _, ok := c[l]["error."+string(code)]; !ok {
				t.Errorf("%s has no words for the refusal %s", l, code)
			}
		}
	}
	files, _ := filepath.Glob("*.go")
	use := regexp.MustCompile(`ss\.(T|N)\("([a-z_.0-9]+)"[,)]`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllStringSubmatch(string(b), -1) {
			keys := []string{m[2]}
			if m[1] == "N" {
				keys = []string{m[2] + ".one", m[2] + ".other"}
			}
			for _, k := range keys {
				if _, ok := en[k]; !ok {
					t.Errorf("%s names %q, which the catalogue lacks", f, k)
				}
			}
		}
	}
	if LanguageCode("fi") != "007" || LanguageCode("en") != "001" || LanguageOf("007") != "fi" || LanguageOf("000") != "" {
		t.Error("SIP2 language codes")
	}
}
