package sip2

import (
	"testing"

	"stacks/branch/domain"
)

// TestCharsetBytes checks the bytes each character set puts on the wire
// for text with accents, and that they read back.
func TestCharsetBytes(t *testing.T) {
	const name = "Éloïse Brontë, Straße, Œuvres, 5 €"
	for _, tc := range []struct {
		charset string
		want    string
		back    string // what the bytes decode to
	}{
		{domain.CharsetUTF8, name, name},
		{"", name, name},
		{domain.CharsetASCII, "Eloise Bronte, Strasse, OEuvres, 5 EUR", "Eloise Bronte, Strasse, OEuvres, 5 EUR"},
		{domain.CharsetLatin1, "\xc9lo\xefse Bront\xeb, Stra\xdfe, OEuvres, 5 EUR", "Éloïse Brontë, Straße, OEuvres, 5 EUR"},
		{domain.CharsetCP850, "\x90lo\x8bse Bront\x89, Stra\xe1e, OEuvres, 5 EUR", "Éloïse Brontë, Straße, OEuvres, 5 EUR"},
	} {
		t.Run(tc.charset, func(t *testing.T) {
			cs, ok := charsetOf(tc.charset)
			if !ok {
				t.Fatalf("charset %q unknown", tc.charset)
			}
			m := &Message{Code: PatronStatusResp, Fixed: "x", Fields: []Field{{"AE", name}}}
			enc := cs.encode(m)
			if got := enc.Value("AE"); got != tc.want {
				t.Errorf("encoded %q, want %q", got, tc.want)
			}
			if m.Value("AE") != name {
				t.Error("encode changed its argument")
			}
			cs.decodeFields(enc)
			if got := enc.Value("AE"); got != tc.back {
				t.Errorf("decoded %q, want %q", got, tc.back)
			}
		})
	}
	if _, ok := charsetOf("ebcdic"); ok {
		t.Error("an unknown charset was accepted")
	}
	// An ASCII kiosk that sends a Latin-1 byte is read as Latin-1; one
	// that sends a character no code page has gets '?' back.
	ascii, _ := charsetOf(domain.CharsetASCII)
	m := &Message{Fields: []Field{{"AL", "caf\xe9"}}}
	ascii.decodeFields(m)
	if got := m.Value("AL"); got != "café" {
		t.Errorf("ASCII kiosk's Latin-1 byte read as %q", got)
	}
	latin1, _ := charsetOf(domain.CharsetLatin1)
	if got := latin1.encodeString("東京 ok"); got != "?? ok" {
		t.Errorf("unmappable characters sent as %q", got)
	}
}
