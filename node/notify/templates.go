package notify

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"

	"stacks/branch/notices"
)

// The notice templates: per language one file of plain text (for each kind
// "<kind>.subject", "<kind>.text" and "<kind>.sms") and one of HTML ("layout"
// and "<kind>.html"). The defaults are embedded; a file of the same name in
// Config.TemplateDir replaces the default one whole.
//
//go:embed templates/*.tmpl
var templateFS embed.FS

// Languages are the languages notices are written in; a message in any
// other is written in the first.
var Languages = []string{"en", "fi"}

// Kinds are every kind of notice the templates must cover.
var Kinds = []string{notices.KindHoldReady, notices.KindPreDue, notices.KindDueToday, notices.KindOverdue1,
	notices.KindOverdue2, notices.KindOverdue3, notices.KindFines, notices.KindCardExpiring, notices.KindWelcome,
	notices.KindHoldCancelled, notices.KindHoldExpired, notices.KindReadingList, notices.KindDigest,
	notices.KindEventConfirmed, notices.KindEventPromoted, notices.KindEventRegistrationCancelled, notices.KindEventCancelled,
	notices.KindEventReminder}

// templateSet is one language's templates.
type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// templates are every language's.
type templates map[string]templateSet

// loadTemplates parses the embedded templates, each replaced by the file of
// the same name in dir if there is one, and checks that every kind has its
// parts in every language.
func loadTemplates(dir string) (templates, error) {
	read := func(name string) ([]byte, string, error) {
		if dir != "" {
			p := filepath.Join(dir, name)
			b, err := os.ReadFile(p)
			if err == nil {
				return b, p, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, p, fmt.Errorf("notify: templates: %w", err)
			}
		}
		b, err := templateFS.ReadFile("templates/" + name)
		return b, "(default) " + name, err
	}
	ts := templates{}
	for _, lang := range Languages {
		tb, tname, err := read(lang + ".text.tmpl")
		if err != nil {
			return nil, err
		}
		tt, err := texttemplate.New(lang + ".text").Option("missingkey=error").Parse(string(tb))
		if err != nil {
			return nil, fmt.Errorf("notify: template %s: %w", tname, err)
		}
		hb, hname, err := read(lang + ".html.tmpl")
		if err != nil {
			return nil, err
		}
		ht, err := htmltemplate.New(lang + ".html").Option("missingkey=error").Parse(string(hb))
		if err != nil {
			return nil, fmt.Errorf("notify: template %s: %w", hname, err)
		}
		var missing []string
		for _, k := range Kinds {
			for _, part := range []string{".subject", ".text", ".sms"} {
				if tt.Lookup(k+part) == nil {
					missing = append(missing, k+part+" in "+tname)
				}
			}
			if ht.Lookup(k+".html") == nil {
				missing = append(missing, k+".html in "+hname)
			}
		}
		if ht.Lookup("layout") == nil {
			missing = append(missing, "layout in "+hname)
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("notify: templates lack %s", strings.Join(missing, ", "))
		}
		ts[lang] = templateSet{text: tt, html: ht}
	}
	return ts, nil
}

// set is the templates of lang, or of the first language.
func (ts templates) set(lang string) (templateSet, string) {
	if s, ok := ts[lang]; ok {
		return s, lang
	}
	return ts[Languages[0]], Languages[0]
}

func (s templateSet) execText(name string, v *view) (string, error) {
	var b bytes.Buffer
	if err := s.text.ExecuteTemplate(&b, name, v); err != nil {
		return "", fmt.Errorf("notify: template %s: %w", name, err)
	}
	return b.String(), nil
}

func (s templateSet) execHTML(name string, v *view) (string, error) {
	var b bytes.Buffer
	if err := s.html.ExecuteTemplate(&b, name, v); err != nil {
		return "", fmt.Errorf("notify: template %s: %w", name, err)
	}
	return b.String(), nil
}
