package notify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stacks/branch/notices"
	"stacks/node/notify"
)

// TestTemplatesEveryKindAndLanguage renders every kind in every language
// against the fixtures and checks each says its key facts: the title, the
// date as the language writes it, the branch, the amount as money.
func TestTemplatesEveryKindAndLanguage(t *testing.T) {
	n := mustNotifier(t, baseConfig())
	facts := map[string]struct{ date, month, money, clock, other, seitsemän string }{
		"en": {date: "24 Dec 2026", month: "December 2026", money: "€12.50", clock: "17:30"},
		"fi": {date: "24.12.2026", month: "joulukuu 2026", money: "12,50\u00a0€", clock: "17.30"},
	}
	eventKind := map[string]bool{notices.KindEventConfirmed: true, notices.KindEventPromoted: true, notices.KindEventReminder: true,
		notices.KindEventRegistrationCancelled: true, notices.KindEventCancelled: true}
	withTicket := map[string]bool{notices.KindEventConfirmed: true, notices.KindEventPromoted: true, notices.KindEventReminder: true}
	withDate := map[string]bool{notices.KindHoldReady: true, notices.KindPreDue: true, notices.KindDueToday: true,
		notices.KindOverdue1: true, notices.KindOverdue2: true, notices.KindOverdue3: true, notices.KindCardExpiring: true,
		notices.KindHoldExpired: true, notices.KindDigest: true}
	noTitle := map[string]bool{notices.KindCardExpiring: true, notices.KindWelcome: true}
	for _, lang := range notify.Languages {
		for _, kind := range notify.Kinds {
			t.Run(kind+"/"+lang, func(t *testing.T) {
				m := fixture(kind, lang)
				r, err := n.Render(m)
				if err != nil {
					t.Fatal(err)
				}
				f := facts[lang]
				check := func(part, s string, want ...string) {
					t.Helper()
					for _, w := range want {
						if !strings.Contains(s, w) {
							t.Errorf("%s lacks %q:\n%s", part, w, s)
						}
					}
				}
				if r.Subject == "" || strings.Contains(r.Subject, "\n") {
					t.Errorf("subject %q", r.Subject)
				}
				check("text", r.Text, fxBranch, "Aino Ääninen")
				check("html", r.HTML, fxBranch, `lang="`+lang+`"`, "#1d4f73")
				if kind == notices.KindDigest {
					check("text", r.Text, "Äidinkieli ja öljy <script>")
				} else if eventKind[kind] {
					// The event's title, day and time (the library's wall
					// clock) and room; a seat's notice its ticket and the
					// link to the ticket page with the QR code.
					check("text", r.Text, fxTitle, f.date, f.clock, "Satusali")
					check("html", r.HTML, "Äidinkieli ja öljy &lt;script&gt;alert(1)&lt;/script&gt;", f.date, f.clock, "Satusali")
					check("sms", r.SMS, f.date)
					check("subject", r.Subject, "Äidinkieli")
					if withTicket[kind] {
						check("text", r.Text, fxTicket, "/account/events", "3")
						check("html", r.HTML, fxTicket, "/account/events")
						check("sms", r.SMS, fxTicket)
					} else if strings.Contains(r.Text+r.HTML+r.SMS, "EVT-") {
						t.Errorf("a cancellation carries a ticket:\n%s", r.Text)
					}
				} else if !noTitle[kind] {
					check("text", r.Text, fxTitle, "Seitsemän veljestä")
					check("html", r.HTML, "Äidinkieli ja öljy &lt;script&gt;alert(1)&lt;/script&gt;", "/titles/B1")
				}
				if !noTitle[kind] && kind != notices.KindDigest && !eventKind[kind] {
					check("subject", r.Subject+r.Text, "Äidinkieli")
				}
				if withDate[kind] {
					check("text", r.Text, f.date)
					check("html", r.HTML, f.date)
					check("sms", r.SMS, f.date)
				}
				if kind == notices.KindReadingList {
					check("text", r.Subject+r.Text, f.month)
				}
				if kind == notices.KindFines {
					check("subject", r.Subject, f.money)
					check("html", r.HTML, f.money)
					check("sms", r.SMS, strings.ReplaceAll(f.money, "\u00a0", " "))
				}
				if kind == notices.KindWelcome || kind == notices.KindCardExpiring {
					check("text", r.Text, "21000000000001")
				}
				if strings.Contains(r.HTML, "<script>") {
					t.Errorf("html carries a live <script>:\n%s", r.HTML)
				}
				if r.SMS == "" {
					t.Error("no SMS text")
				}
				if lang == "fi" && strings.Contains(r.Text, "Hello") || lang == "en" && strings.Contains(r.Text, "Hei ") {
					t.Errorf("text in the wrong language:\n%s", r.Text)
				}
			})
		}
	}
}

// TestTemplatesFallbackLanguage writes a message in a language the
// templates lack in English.
func TestTemplatesFallbackLanguage(t *testing.T) {
	n := mustNotifier(t, baseConfig())
	r, err := n.Render(fixture(notices.KindHoldReady, "sv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Subject, "Ready for pickup") || !strings.Contains(r.Text, "24 Dec 2026") {
		t.Fatalf("want English, got %q\n%s", r.Subject, r.Text)
	}
}

// TestTemplatesOverride replaces a language's file from the templates
// directory; a file lacking a kind is refused at start with its name.
func TestTemplatesOverride(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("templates/en.text.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	custom := strings.Replace(string(b), `{{define "hold_ready.subject"}}Ready for pickup:`, `{{define "hold_ready.subject"}}Come and get it:`, 1)
	if err := os.WriteFile(filepath.Join(dir, "en.text.tmpl"), []byte(custom), 0o644); err != nil {
		t.Fatal(err)
	}
	c := baseConfig()
	c.TemplateDir = dir
	n := mustNotifier(t, c)
	r, err := n.Render(fixture(notices.KindHoldReady, "en"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Subject, "Come and get it: Äidinkieli") {
		t.Fatalf("subject %q: the override was not used", r.Subject)
	}
	fi, err := n.Render(fixture(notices.KindHoldReady, "fi"))
	if err != nil || !strings.HasPrefix(fi.Subject, "Noudettavissa") {
		t.Fatalf("the Finnish default should stay: %q %v", fi.Subject, err)
	}

	broken := strings.Replace(string(b), `{{define "fines.sms"}}`, `{{define "fines.sms.old"}}`, 1)
	if err := os.WriteFile(filepath.Join(dir, "en.text.tmpl"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := notify.New(c); err == nil || !strings.Contains(err.Error(), "fines.sms") {
		t.Fatalf("want an error naming fines.sms, got %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "en.text.tmpl"), []byte("{{define \"x\"}}{{.Nope"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := notify.New(c); err == nil || !strings.Contains(err.Error(), "en.text.tmpl") {
		t.Fatalf("want a parse error naming the file, got %v", err)
	}
}
