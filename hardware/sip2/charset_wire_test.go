package sip2_test

import (
	"strings"
	"testing"

	"stacks/branch/domain"
	"stacks/hardware/sip2"
)

// TestKioskCharset: a kiosk account's character set applies to every
// message after its login, both ways, and the checksum is of the bytes
// sent.
func TestKioskCharset(t *testing.T) {
	for _, tc := range []struct {
		charset string
		name    string // 21000005's name (AE) as sent
		props   string // item properties sent by the kiosk (CH)
	}{
		{domain.CharsetUTF8, "Éloïse Brontë", "Livre et CD, étui"},
		{domain.CharsetLatin1, "\xc9lo\xefse Bront\xeb", "Livre et CD, \xe9tui"},
		{domain.CharsetCP850, "\x90lo\x8bse Bront\x89", "Livre et CD, \x82tui"},
		{domain.CharsetASCII, "Eloise Bronte", "Livre et CD, etui"},
	} {
		t.Run(tc.charset, func(t *testing.T) {
			e := newEnv(t)
			cs := tc.charset
			_, err := e.svc.UpdateStaff(e.desk, "kiosk1", domain.StaffUpdate{Charset: &cs})
			must(t, err)
			c := e.dial()
			c.login()
			c.send(withAZ("2300020261123    100000AOSTACKS|AA21000005|AC|AD1234|AY1AZ####") + "\r")
			got := c.read()
			if want := "|AE" + tc.name + "|"; !strings.Contains(got, want) {
				t.Errorf("24: %q, want %q in it", got, want)
			}
			if n := len(got); n < 6 || sip2.Checksum([]byte(got[:n-4])) != got[n-4:] {
				t.Errorf("24's checksum is not of the bytes sent: %q", got)
			}
			c.send(withAZ("1920261123    100000AOSTACKS|AB39000002|AC|CH"+tc.props+"|AY2AZ####") + "\r")
			if got := c.read(); !strings.HasPrefix(got, "201") || !strings.Contains(got, "|CH"+tc.props+"|") {
				t.Errorf("20: %q", got)
			}
			it, err := e.svc.ItemByBarcode(e.desk, "39000002")
			must(t, err)
			want := "Livre et CD, étui"
			if tc.charset == domain.CharsetASCII {
				want = "Livre et CD, etui"
			}
			if it.Properties != want {
				t.Errorf("stored properties %q, want %q", it.Properties, want)
			}
		})
	}
}
