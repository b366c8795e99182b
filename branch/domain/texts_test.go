package domain_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"stacks/branch/domain"
)

func TestLoadTextsMergesFeatureFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"locales/en.json":        {Data: []byte(`{"a":"A"}`)},
		"locales/fi.json":        {Data: []byte(`{"a":"Aa"}`)},
		"locales/events.en.json": {Data: []byte(`{"b":"B %d"}`)},
		"locales/events.fi.json": {Data: []byte(`{"b":"Bb %d"}`)},
	}
	m, err := domain.LoadTexts(fsys, "locales", "fi")
	if err != nil {
		t.Fatal(err)
	}
	if m["a"] != "Aa" || m["b"] != "Bb %d" || len(m) != 2 {
		t.Fatalf("fi texts %v", m)
	}
	fsys["locales/help.fi.json"] = &fstest.MapFile{Data: []byte(`{"a":"again"}`)}
	if _, err := domain.LoadTexts(fsys, "locales", "fi"); err == nil || !strings.Contains(err.Error(), "help.fi.json") {
		t.Fatalf("a key defined twice: err %v", err)
	}
	fsys["locales/bad.en.json"] = &fstest.MapFile{Data: []byte(`{`)}
	if _, err := domain.LoadTexts(fsys, "locales", "en"); err == nil || !strings.Contains(err.Error(), "bad.en.json") {
		t.Fatalf("bad json: err %v", err)
	}
}
