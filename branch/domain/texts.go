package domain

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// LoadTexts reads a channel's text catalogue for one language from dir in
// fsys: dir/LANG.json and then every feature file dir/FEATURE.LANG.json
// (events.fi.json, help.en.json, ...), in name order, each a flat JSON map
// from key to an fmt format. Features keep their words in files of their
// own so that no two of them edit one file; a key defined twice is an
// error naming both files, never a silent override.
func LoadTexts(fsys fs.FS, dir, lang string) (map[string]string, error) {
	names := []string{path.Join(dir, lang+".json")}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("texts %s: %w", lang, err)
	}
	var features []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, "."+lang+".json") {
			features = append(features, path.Join(dir, n))
		}
	}
	sort.Strings(features)
	names = append(names, features...)
	out := map[string]string{}
	from := map[string]string{}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("texts %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("texts %s: %w", name, err)
		}
		for k, v := range m {
			if prev, dup := from[k]; dup {
				return nil, fmt.Errorf("texts %s: key %q in both %s and %s", lang, k, prev, name)
			}
			from[k], out[k] = name, v
		}
	}
	return out, nil
}
