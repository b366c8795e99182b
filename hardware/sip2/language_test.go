package sip2_test

import (
	"net"
	"strings"
	"testing"

	"stacks/branch/domain"
	"stacks/hardware/sip2"
)

// client logs in as kiosk1 and speaks the kiosk language code.
func (e *env) client(lang string) *sip2.Client {
	e.tb.Helper()
	c, err := net.Dial("tcp", e.addr)
	must(e.tb, err)
	cl := sip2.NewClient(c)
	e.tb.Cleanup(func() { cl.Close() })
	cl.Language = lang
	must(e.tb, cl.Login("kiosk1", "kiosk-pass", "MAIN-DOOR"))
	return cl
}

func (e *env) setLanguage(card, lang string) {
	e.tb.Helper()
	_, err := e.svc.UpdatePatron(e.desk, e.pats[card].PatronID, domain.PatronUpdate{Language: &lang})
	must(e.tb, err)
}

// TestScreenMessagesInPatronLanguage: what the ACS tells the patron (AF,
// AG) is in the patron's language once the message names them (a Finnish
// patron reads Finnish at a kiosk set to English), in English for an
// English patron (at a kiosk set to Finnish too); 24 and 64 carry the
// patron's language code (007 Finnish, 3M SIP2 table) so the kiosk can
// switch its own screens.
func TestScreenMessagesInPatronLanguage(t *testing.T) {
	e := newEnv(t)
	e.setLanguage("21000003", "fi")
	e.setLanguage("21000001", "en")
	for _, tc := range []struct {
		name, kiosk, card, barcode string
		welcome, checkout, receipt string
		langCode                   string
	}{
		{"fi patron at an English kiosk", "001", "21000003", "39000002", "Tervetuloa, Cat.", "Lainattu: Dune. Palauta se viimeistään ", "Dune - eräpäivä ", "007"},
		{"en patron at a Finnish kiosk", "007", "21000001", "39000004", "Welcome, Ann.", "Checked out: Ulysses. Please return it by ", "Ulysses - due ", "001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := e.client(tc.kiosk)
			r, err := cl.PatronStatus("", tc.card, "1234")
			must(t, err)
			if got := r.Value("AF"); got != tc.welcome {
				t.Errorf("24 AF %q, want %q", got, tc.welcome)
			}
			if got := r.Fixed[14:17]; got != tc.langCode {
				t.Errorf("24 language %q, want %q", got, tc.langCode)
			}
			r, err = cl.PatronInfo("", tc.card, "1234", -1)
			must(t, err)
			if got := r.Fixed[14:17]; got != tc.langCode {
				t.Errorf("64 language %q, want %q", got, tc.langCode)
			}
			r, err = cl.Checkout("", tc.card, "1234", tc.barcode)
			must(t, err)
			if got := r.Value("AF"); !strings.HasPrefix(got, tc.checkout) {
				t.Errorf("12 AF %q, want %q...", got, tc.checkout)
			}
			if got := r.Value("AG"); !strings.HasPrefix(got, tc.receipt) {
				t.Errorf("12 AG %q, want %q...", got, tc.receipt)
			}
			r, err = cl.Checkin("", "MAIN-DOOR", tc.barcode)
			must(t, err)
			if got, want := r.Value("AF"), map[string]string{"007": "Kiitos.", "001": "Thank you."}[tc.langCode]; !strings.HasPrefix(got, want) {
				t.Errorf("10 AF (a return names no patron: the signed-in one's language) %q, want %q...", got, want)
			}
			r, err = cl.Checkout("", tc.card, "1234", "NO-SUCH-ITEM")
			must(t, err)
			want := "We do not recognise this item. Please take it to the desk."
			if tc.langCode == "007" {
				want = "Emme tunnista tätä aineistoa. Vie se asiakaspalveluun."
			}
			if got := r.Value("AF"); got != want {
				t.Errorf("12 refusal AF %q, want %q", got, want)
			}
		})
	}
}

// TestScreenMessagesInKioskLanguage: before a patron is known, and for a
// return (which names none), the ACS speaks the language the kiosk named
// in 23 (the patron's choice on its first screen); a kiosk that names none
// (000) gets its account's default language.
func TestScreenMessagesInKioskLanguage(t *testing.T) {
	e := newEnv(t)
	cl := e.client("007")
	r, err := cl.PatronStatus("", "99999999", "1234")
	must(t, err)
	if got, want := r.Value("AF"), "Emme tunnista tätä korttia. Kysy asiakaspalvelusta."; got != want {
		t.Errorf("unknown card: AF %q, want %q", got, want)
	}
	e.lend("21000001", "39000006")
	r, err = cl.Checkin("", "MAIN-DOOR", "39000006")
	must(t, err)
	if got, want := r.Value("AF"), "Kiitos. Persuasion on palautettu."; got != want {
		t.Errorf("checkin: AF %q, want %q", got, want)
	}

	e2 := newEnv(t, func(c *sip2.Config) { c.Languages = map[string]string{"kiosk1": "fi", "": "en"} })
	cl2 := e2.client("")
	r, err = cl2.Checkin("", "MAIN-DOOR", "NO-SUCH")
	must(t, err)
	if got, want := r.Value("AF"), "Emme tunnista tätä aineistoa. Vie se asiakaspalveluun."; got != want {
		t.Errorf("account default fi: AF %q, want %q", got, want)
	}
	cfg := sip2.DefaultConfig(e.svc, sip2.PINVerifierFunc(nil))
	cfg.Languages = map[string]string{"kiosk1": "sv"}
	if err := cfg.Validate(); err == nil {
		t.Error("a language we do not speak was accepted")
	}
}
