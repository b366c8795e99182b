package sip2

import (
	"embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"stacks/branch/domain"
)

// What the ACS tells a patron (the screen message AF and the print line AG)
// is in the patron's language. Each language's texts are a flat catalogue
// of fmt formats (locales/en.json, locales/fi.json), as the patron web's
// are; a count takes the key with ".one" or ".other" appended. A domain
// refusal reads "error." + its code; in English the domain's own message
// is shown (it names the item or the date), in other languages the
// catalogue's text for the code. A test fails when a language lacks a key,
// when a domain code has no text, or when a key used here is missing.
//
// The language of an answer is the patron's preference (domain.Patron
// Language) once the message names a patron; before that, and for answers
// that name none (a return), the language the kiosk last sent in the
// language field of patron status (23) or patron information (63), the
// kiosk's own screen language; when the kiosk sends 000 (unknown), the
// kiosk account's default (Config.Languages), else English.

//go:embed locales/*.json
var localeFS embed.FS

// catalogue is every language's texts, by language and key.
type catalogue map[string]map[string]string

// loadTexts reads the embedded catalogues (NewServer, once).
func loadTexts() (catalogue, error) {
	out := catalogue{}
	for _, l := range domain.Languages {
		m, err := domain.LoadTexts(localeFS, "locales", l)
		if err != nil {
			return nil, fmt.Errorf("sip2: texts: %w", err)
		}
		out[l] = m
	}
	return out, nil
}

// SIP2 language codes (the 3M SIP2 2.00 table: 000 unknown, 001 English,
// 002 French, 003 German, 004 Italian, 005 Dutch, 006 Swedish, 007
// Finnish, 008 Spanish, ...), for the languages we speak.
var languageCodes = map[string]string{"en": "001", "fi": "007"}

// LanguageCode is the SIP2 language code of a language ("fi" is "007");
// "000" (unknown) for any language without one.
func LanguageCode(lang string) string {
	if c, ok := languageCodes[lang]; ok {
		return c
	}
	return "000"
}

// LanguageOf is the language of a SIP2 language code ("007" is "fi"), or
// "" for 000 and codes of languages we do not speak.
func LanguageOf(code string) string {
	for l, c := range languageCodes {
		if c == code {
			return l
		}
	}
	return ""
}

// speaks reports whether the ACS has texts in lang.
func (c catalogue) speaks(lang string) bool { _, ok := c[lang]; return ok }

// T is key in the session's current language, formatted with args.
func (ss *session) T(key string, args ...any) string {
	return ss.srv.texts.tr(ss.cur, key, args...)
}

// N is the plural key for count n (its first argument).
func (ss *session) N(key string, n int, args ...any) string {
	form := ".other"
	if n == 1 {
		form = ".one"
	}
	return ss.T(key+form, append([]any{n}, args...)...)
}

func (c catalogue) tr(lang, key string, args ...any) string {
	f, ok := c[lang][key]
	if !ok {
		f, ok = c["en"][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// refusal is a domain refusal in the current language.
func (ss *session) refusal(e *domain.Error) string {
	if e == errHandoffOther {
		return ss.T("handoff.other")
	}
	if ss.cur == "en" && e.Message != "" {
		return e.Message
	}
	return ss.T("error." + string(e.Code))
}

// defaultLanguage is the kiosk account's language when the kiosk names
// none.
func (ss *session) defaultLanguage() string {
	if l := ss.srv.cfg.Languages[ss.kiosk]; ss.srv.texts.speaks(l) {
		return l
	}
	if l := ss.srv.cfg.Languages[""]; ss.srv.texts.speaks(l) {
		return l
	}
	return "en"
}

// kioskLanguage notes the language the kiosk names in 23 and 63.
func (ss *session) kioskLanguage(m *Message) {
	if m.Code != PatronStatus && m.Code != PatronInfo || len(m.Fixed) < 3 {
		return
	}
	ss.lang = LanguageOf(m.Fixed[:3])
}

// patronLanguage makes p's preference the language of this answer.
func (ss *session) patronLanguage(p *domain.Patron) {
	if p == nil {
		return
	}
	if p.PatronID == ss.authPatron {
		ss.authLang = p.Language
	}
	if ss.srv.texts.speaks(p.Language) {
		ss.cur = p.Language
	}
}

// startAnswer sets the language of the answer to m before the message's
// patron is looked up: the preference of the patron signed in at the kiosk
// (a return or an end of session names none), else the kiosk's.
func (ss *session) startAnswer(m *Message) {
	ss.kioskLanguage(m)
	ss.cur = ss.lang
	if ss.cur == "" {
		ss.cur = ss.defaultLanguage()
	}
	if ss.authPatron != "" && ss.srv.texts.speaks(ss.authLang) {
		ss.cur = ss.authLang
	}
}

var fiWeekdays = [...]string{"su", "ma", "ti", "ke", "to", "pe", "la"}

// date is a YYYY-MM-DD date in words in the current language: "Mon 14 Dec
// 2026", "ma 14.12.2026".
func (ss *session) date(d string) string {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		return d
	}
	if ss.cur == "fi" {
		return fmt.Sprintf("%s %d.%d.%d", fiWeekdays[t.Weekday()], t.Day(), int(t.Month()), t.Year())
	}
	return t.Format("Mon 2 Jan 2006")
}

// blocks are the reasons st gives that the patron may not borrow, in the
// current language.
func (ss *session) blocks(st *domain.PatronStatus) string {
	if ss.cur == "en" {
		return strings.Join(st.Blocks, " ")
	}
	var out []string
	if st.Patron != nil && st.Patron.Blocked {
		out = append(out, ss.T("error."+string(domain.CodePatronBlocked)))
	}
	if st.Expired {
		out = append(out, ss.T("error."+string(domain.CodeCardExpired)))
	}
	if st.MaxFineCents > 0 && st.BalanceCents > st.MaxFineCents {
		out = append(out, ss.T("error."+string(domain.CodeFinesOverLimit)))
	}
	if len(out) == 0 { // a reason we have no words for: the domain's own
		return strings.Join(st.Blocks, " ")
	}
	return strings.Join(out, " ")
}

// refusals are errs in the current language.
func (ss *session) refusals(errs []error) []string {
	out := make([]string, 0, len(errs))
	for _, err := range errs {
		var e *domain.Error
		if errors.As(err, &e) {
			out = append(out, ss.refusal(e))
		} else {
			out = append(out, ss.T("error.internal"))
		}
	}
	return slices.Clip(out)
}
