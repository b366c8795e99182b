package web

import (
	"embed"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/text/language"

	"stacks/branch/domain"
)

// Every string a patron reads is in a catalogue per language
// (locales/en.json, locales/fi.json): a flat map from key to a
// fmt-style format. A count takes the key with ".one" or ".other"
// appended; English and Finnish share those two plural forms (CLDR), so
// the rule is one line here, and a language with other forms would add
// its own. We keep our own small catalogue rather than
// golang.org/x/text/message: its catalogues are filled by code or by its
// gotext generator, while ours are plain JSON files a translator edits,
// checked by a test that fails when any key is missing or extra in a
// language, and when any domain refusal code has no text.

//go:embed locales/*.json
var localeFS embed.FS

// catalogue is every language's messages.
type catalogue struct {
	langs   []string // in preference order of the library: the first is the fallback
	msgs    map[string]map[string]string
	matcher language.Matcher
}

func loadCatalogue() (*catalogue, error) {
	c := &catalogue{langs: slices.Clone(domain.Languages), msgs: map[string]map[string]string{}}
	var tags []language.Tag
	for _, l := range c.langs {
		m, err := domain.LoadTexts(localeFS, "locales", l)
		if err != nil {
			return nil, fmt.Errorf("web: catalogue: %w", err)
		}
		c.msgs[l] = m
		tags = append(tags, language.Make(l))
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// supported reports whether l is a language of the catalogue.
func (c *catalogue) supported(l string) bool { _, ok := c.msgs[l]; return ok }

// fromAcceptLanguage is the best language for an Accept-Language header.
func (c *catalogue) fromAcceptLanguage(h string) string {
	if h == "" {
		return c.langs[0]
	}
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil || len(tags) == 0 {
		return c.langs[0]
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return c.langs[0]
	}
	return c.langs[i]
}

// printer speaks one language.
type printer struct {
	c    *catalogue
	lang string
	// currency is the ISO 4217 code of amounts.
	currency string
}

// T is the message key in the printer's language, formatted with args.
// A missing key shows the key itself (a test keeps that from shipping).
func (p printer) T(key string, args ...any) string {
	f, ok := p.c.msgs[p.lang][key]
	if !ok {
		f, ok = p.c.msgs[p.c.langs[0]][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// Label is the message prefix+v when the catalogue has one, else v as it
// is (a value from the data, such as a language code without a name).
func (p printer) Label(prefix, v string) string {
	if _, ok := p.c.msgs[p.lang][prefix+v]; ok {
		return p.T(prefix + v)
	}
	if _, ok := p.c.msgs[p.c.langs[0]][prefix+v]; ok {
		return p.T(prefix + v)
	}
	return v
}

// N is the plural message key for count n.
func (p printer) N(key string, n int, args ...any) string {
	form := ".other"
	if n == 1 {
		form = ".one"
	}
	return p.T(key+form, append([]any{n}, args...)...)
}

// Refusal is what a patron reads for a refusal from the domain, by its
// code: the domain's own message is written for staff in English.
func (p printer) Refusal(err error) []string {
	var e *domain.Error
	if !asDomainError(err, &e) {
		return []string{p.T("error.internal")}
	}
	out := []string{p.T("error." + string(e.Code))}
	for _, a := range e.Also {
		if a.Code != e.Code {
			out = append(out, p.T("error."+string(a.Code)))
		}
	}
	return out
}

// Date shows a YYYY-MM-DD date the way the language writes it.
func (p printer) Date(d string) string {
	if len(d) >= 10 {
		d = d[:10]
	}
	t, err := domain.ParseDate(d)
	if err != nil {
		return d
	}
	if p.lang == "fi" {
		return fmt.Sprintf("%d.%d.%d", t.Day(), int(t.Month()), t.Year())
	}
	return t.Format("2 Jan 2006")
}

// Money shows an amount in cents the way the language writes it.
func (p printer) Money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "−", -cents
	}
	s := sign + domain.Money(cents)
	sym, ok := currencySymbols[p.currency]
	if !ok {
		sym = p.currency
	}
	if p.lang == "fi" {
		return strings.Replace(s, ".", ",", 1) + "\u00a0" + sym
	}
	if !ok {
		return s + "\u00a0" + sym
	}
	return sign + sym + s[len(sign):]
}

var currencySymbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£"}

// langOf is the language of a request: the logged-in patron's choice,
// else the visitor's choice in a cookie, else Accept-Language.
func (s *Server) langOf(r *http.Request, patronLang string) string {
	if s.cat.supported(patronLang) {
		return patronLang
	}
	if c, err := r.Cookie(langCookie); err == nil && s.cat.supported(c.Value) {
		return c.Value
	}
	return s.cat.fromAcceptLanguage(r.Header.Get("Accept-Language"))
}
