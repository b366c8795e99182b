package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"stacks/hardware/sip2"
)

// TestWithParts: a copy in several parts is announced with its parts; any
// other keeps the ACS's message as it is.
func TestWithParts(t *testing.T) {
	k := newTestKiosk(t, "en")
	r := &sip2.Message{Code: sip2.CheckoutResp}
	r.Add("AF", "Checked out: Dune.")
	if got := k.withParts(r); got != "Checked out: Dune." {
		t.Fatalf("no CH: %q", got)
	}
	r.Add("CH", "DVD 2 discs, booklet")
	if got, want := k.withParts(r), "Checked out: Dune. Please check that every part is there: DVD 2 discs, booklet."; got != want {
		t.Fatalf("with CH: %q, want %q", got, want)
	}
}

// TestRefusal: a 24 that lets no one in always has words for the screen,
// whether or not the ACS sent AF.
func TestRefusal(t *testing.T) {
	k := newTestKiosk(t, "en")
	for _, tc := range []struct {
		fields []sip2.Field
		pin    bool
		want   string
	}{
		{[]sip2.Field{{Tag: "BL", Value: "Y"}, {Tag: "CQ", Value: "N"}, {Tag: "AF", Value: "This card is blocked."}}, true, "This card is blocked."},
		{[]sip2.Field{{Tag: "BL", Value: "N"}}, true, "This card is not recognised. Please ask at the desk."},
		{[]sip2.Field{{Tag: "BL", Value: "Y"}, {Tag: "CQ", Value: "N"}}, true, "That PIN is not right. Please try again."},
		{[]sip2.Field{{Tag: "BL", Value: "Y"}, {Tag: "CQ", Value: "N"}}, false, "Please enter your PIN."},
	} {
		r := &sip2.Message{Code: sip2.PatronStatusResp, Fields: tc.fields}
		if got := k.refusal(r, tc.pin); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.fields, got, tc.want)
		}
	}
}

func newTestKiosk(t *testing.T, lang string) *kiosk {
	t.Helper()
	texts, err := loadTexts()
	if err != nil {
		t.Fatal(err)
	}
	k := &kiosk{texts: texts}
	k.setLanguage(lang)
	return k
}

// TestKioskTextsComplete: both languages have every key, with the same
// placeholders, and every key the kiosk names exists.
func TestKioskTextsComplete(t *testing.T) {
	c, err := loadTexts()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range languages {
		for k, v := range c[l] {
			if _, ok := c["en"][k]; !ok {
				t.Errorf("%s has %q, which en lacks", l, k)
			}
			if strings.TrimSpace(v) == "" || strings.Count(v, "%") != strings.Count(c["en"][k], "%") {
				t.Errorf("%s: %q is empty or has other placeholders than en", l, k)
			}
		}
		for k := range c["en"] {
			if _, ok := c[l][k]; !ok {
				t.Errorf("%s lacks %q", l, k)
			}
		}
	}
	use := regexp.MustCompile(`k\.T\("([a-z_.0-9]+)"[,)]`)
	for _, f := range []string{"kiosk.go", "main.go", "texts.go", "rfid.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllStringSubmatch(string(b), -1) {
			if _, ok := c["en"][m[1]]; !ok {
				t.Errorf("%s names %q, which the catalogue lacks", f, m[1])
			}
		}
	}
	k := newTestKiosk(t, "fi")
	r := &sip2.Message{Code: sip2.PatronStatusResp, Fields: []sip2.Field{{Tag: "BL", Value: "N"}}}
	if got, want := k.refusal(r, true), "Korttia ei tunnisteta. Kysy asiakaspalvelusta."; got != want {
		t.Errorf("fi refusal %q, want %q", got, want)
	}
}
