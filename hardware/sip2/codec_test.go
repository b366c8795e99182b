package sip2_test

import (
	"bytes"
	"errors"
	"testing"

	"stacks/hardware/sip2"
)

// TestChecksumGolden reproduces the checksums of the 3M SIP2 Developers
// Guide and of the Koha/Evergreen reference servers (REQUEST_SC_RESEND_CKSUM
// "96AZFEF6", REQUEST_ACS_RESEND_CKSUM "97AZFEF5").
func TestChecksumGolden(t *testing.T) {
	for _, msg := range []string{
		"990 402.00AY1AZFCB4",
		"9300CNLoginUserID|COLoginPassword|CPLocationCode|AY5AZEC7B",
		"941AY0AZFDFD",
		"96AZFEF6",
		"97AZFEF5",
		// Non-ASCII text is summed as its UTF-8 bytes (Latin-1 would give F10F).
		"1803000120261123    100000ABbc1|AJLes Misérables|AY2AZF08C",
		"1803000120261123    100000ABbc1|AJLes Misérables — Tome 1|AY2AZEC70",
	} {
		t.Run(msg[:2], func(t *testing.T) {
			n := len(msg)
			if got := sip2.Checksum([]byte(msg[:n-4])); got != msg[n-4:] {
				t.Fatalf("Checksum(%q) = %s, want %s", msg[:n-4], got, msg[n-4:])
			}
			m, err := sip2.Decode([]byte(msg))
			if err != nil {
				t.Fatalf("Decode(%q): %v", msg, err)
			}
			if got := string(m.Encode()); got != msg {
				t.Fatalf("re-encoded %q, want %q", got, msg)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		m, err := sip2.Decode([]byte("9300CNLoginUserID|COLoginPassword|CPLocationCode|AY5AZEC7B"))
		if err != nil {
			t.Fatal(err)
		}
		if m.Code != "93" || m.Fixed != "00" || m.Seq != 5 || !m.Checksummed {
			t.Fatalf("got %+v", m)
		}
		if m.Value("CN") != "LoginUserID" || m.Value("CO") != "LoginPassword" || m.Value("CP") != "LocationCode" {
			t.Fatalf("fields %+v", m.Fields)
		}
	})
	t.Run("OKNoErrorDetection", func(t *testing.T) {
		m, err := sip2.Decode([]byte("9900302.00"))
		if err != nil || m.Seq != -1 || m.Checksummed || m.Fixed != "00302.00" {
			t.Fatalf("%+v %v", m, err)
		}
		if got := string(m.Encode()); got != "9900302.00" {
			t.Fatalf("encoded %q", got)
		}
	})
	t.Run("OKLastFieldWithoutDelimiter", func(t *testing.T) {
		m, err := sip2.Decode([]byte("2300020261123    100000AOSTACKS|AA2100000000001"))
		if err != nil || m.Value("AA") != "2100000000001" {
			t.Fatalf("%+v %v", m, err)
		}
	})
	t.Run("OKLowerCaseChecksum", func(t *testing.T) {
		if _, err := sip2.Decode([]byte("990 402.00AY1AZfcb4")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OKTerminators", func(t *testing.T) {
		for _, term := range []string{"\r", "\n", "\r\n"} {
			if m, err := sip2.Decode([]byte("990 402.00AY1AZFCB4" + term)); err != nil || m.Seq != 1 {
				t.Fatalf("%q: %+v %v", term, m, err)
			}
		}
	})
	t.Run("ErrChecksum", func(t *testing.T) {
		_, err := sip2.Decode([]byte("990 402.00AY1AZFCB5"))
		if !errors.Is(err, sip2.ErrChecksum) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		m, err := sip2.Decode([]byte("XX123"))
		if !errors.Is(err, sip2.ErrUnknown) || m.Code != "XX" {
			t.Fatalf("got %+v %v", m, err)
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		for _, s := range []string{"", "9", "1100", "2300020261123|AOx|", "9900302.00A|"} {
			if _, err := sip2.Decode([]byte(s)); !errors.Is(err, sip2.ErrMalformed) {
				t.Errorf("Decode(%q) = %v, want ErrMalformed", s, err)
			}
		}
	})
}

func TestEncodeCleansValues(t *testing.T) {
	m := sip2.Req(sip2.EndSessionResp, "Y20261123    100000", "AF", "a|b\rc\nd")
	if got := string(m.Encode()); got != "36Y20261123    100000AFa/b c d|" {
		t.Fatalf("got %q", got)
	}
}

// FuzzSIP2Decode: no input panics the decoder, and whatever decodes
// re-encodes to a message that decodes to the same thing.
func FuzzSIP2Decode(f *testing.F) {
	for _, s := range []string{
		"990 402.00AY1AZFCB4", "9300CNLoginUserID|COLoginPassword|CPLocationCode|AY5AZEC7B", "941AY0AZFDFD", "96AZFEF6",
		"1103YN20261123    100000                  AOSTACKS|AA21|AB39|AC|AD1234|AY3AZ0000",
		"6300020261123    100000Y         AOSTACKS|AA21|BP1|BQ5|", "09N20261123    10000020261123    100000AB1|",
		"1803000120261123    100000ABbc1|AJLes Misérables|AY2AZF08C", "\xff\xfe", "AZ0000AZ0000",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := sip2.Decode(b)
		if err != nil {
			return
		}
		enc := m.Encode()
		m2, err := sip2.Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", enc, err)
		}
		if enc2 := m2.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("not stable: %q then %q", enc, enc2)
		}
	})
}
