package digital

import (
	"fmt"
	"strings"

	"stacks/branch/domain"
)

// What a patron reads of digital lending, in English and Finnish. The
// language is the request's (the API takes it from Accept-Language); a
// test fails when a text lacks a language.

// Languages are the languages of the texts; the first is the default.
var Languages = []string{"en", "fi"}

type text struct{ en, fi string }

var texts = map[string]text{
	"not_digital": {"%q is not a digital title: borrow a copy at a branch.",
		"%q ei ole digitaalinen nimeke: lainaa kappale kirjastosta."},
	"no_licence_free": {"All %d licences of %q are on loan. Place a hold and it will be lent to you as soon as one is free.",
		"Kaikki %d nimekkeen %q lisenssiä ovat lainassa. Tee varaus, niin se lainataan sinulle heti kun lisenssi vapautuu."},
	"no_licence": {"The library has no licence to lend %q now.",
		"Kirjastolla ei ole nyt lisenssiä nimekkeen %q lainaamiseen."},
	"already_borrowed": {"You already have %q on loan, due %s.",
		"Sinulla on jo %q lainassa, eräpäivä %s."},
	"too_many": {"The limit of %d digital loans has been reached.",
		"Digitaalisten lainojen enimmäismäärä (%d) on täynnä."},
	"not_loanable": {"%q is not lent to your card.",
		"Nimekettä %q ei lainata kortillesi."},
	"loan_not_found": {"There is no such digital loan.",
		"Tällaista digitaalista lainaa ei ole."},
	"renew_holds": {"%q cannot be renewed: other patrons are waiting for it.",
		"Lainaa %q ei voi uusia: muut asiakkaat odottavat sitä."},
	"renew_max": {"%q has been renewed %d times, the most allowed.",
		"Laina %q on uusittu %d kertaa, enempää ei voi uusia."},
	"renew_licence_ends": {"%q cannot be renewed: the library's licence for it ends on %s.",
		"Lainaa %q ei voi uusia: kirjaston lisenssi siihen päättyy %s."},
	"hold_exists": {"You are already in the queue for %q.",
		"Olet jo jonossa nimekkeeseen %q."},
	"holds_not_allowed": {"Holds on %q are not allowed for your card.",
		"Nimekkeeseen %q ei voi tehdä varausta kortillasi."},
	"hold_not_found": {"There is no such hold.",
		"Tällaista varausta ei ole."},
	"hold_not_waiting": {"This hold is no longer waiting.",
		"Tämä varaus ei ole enää jonossa."},
	"blocked": {"This card is blocked.",
		"Tämä kortti on estetty."},
	"card_expired": {"This card expired on %s; please renew it at a branch.",
		"Tämä kortti vanheni %s; uusi se kirjastossa."},
	"fines": {"Your fines are over the limit; please pay them first.",
		"Maksusi ylittävät rajan; maksa ne ensin."},
	"offline": {"E-books and e-audiobooks cannot be borrowed, returned, renewed or reserved here right now: this branch has lost its connection to the library's central system, which keeps count of the licences. Please try again later, or use the library's website.",
		"E-kirjoja ja e-äänikirjoja ei voi juuri nyt lainata, palauttaa, uusia eikä varata täällä: tämän kirjaston yhteys kirjaston keskusjärjestelmään, joka pitää kirjaa lisensseistä, on poikki. Yritä myöhemmin uudelleen tai käytä kirjaston verkkosivuja."},
}

// Lang picks the language of texts for an Accept-Language header (or a
// plain tag): Finnish when it is preferred, else English.
func Lang(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case tag == "fi" || strings.HasPrefix(tag, "fi-"):
			return "fi"
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			return "en"
		}
	}
	return "en"
}

// say formats text key in lang.
func say(lang, key string, args ...any) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	f := t.en
	if lang == "fi" {
		f = t.fi
	}
	return fmt.Sprintf(f, args...)
}

func refuse(lang string, code domain.Code, key string, args ...any) *domain.Error {
	return domain.Fail(code, "%s", say(lang, key, args...))
}

// Text is the text key in lang, for the tests of both languages.
func Text(lang, key string, args ...any) string { return say(lang, key, args...) }

// TextKeys lists the texts' keys.
func TextKeys() []string {
	out := make([]string, 0, len(texts))
	for k := range texts {
		out = append(out, k)
	}
	return out
}

// Offline is the refusal a branch answers when it cannot reach central.
func Offline(lang string) *domain.Error {
	return refuse(lang, domain.CodeDigitalOffline, "offline")
}

// patronRefusal turns one of the core's refusals of a patron into the
// request's language.
func patronRefusal(lang string, p *domain.Patron, e *domain.Error) *domain.Error {
	if lang != "fi" {
		return domain.Fail(e.Code, "%s", e.Message)
	}
	switch e.Code {
	case domain.CodePatronBlocked:
		return refuse(lang, e.Code, "blocked")
	case domain.CodeCardExpired:
		return refuse(lang, e.Code, "card_expired", p.ExpiryDate)
	case domain.CodeFinesOverLimit:
		return refuse(lang, e.Code, "fines")
	}
	return domain.Fail(e.Code, "%s", e.Message)
}
