package sip2

import "testing"

// TestSupportedMessages keeps BX honest: Y exactly for the requests we
// carry out.
func TestSupportedMessages(t *testing.T) {
	if len(supportedOrder) != 16 || len(supportedMessages) != 16 {
		t.Fatalf("BX must have 16 positions")
	}
	for i, code := range supportedOrder {
		_, handled := handlers[code]
		want := (handled || code == RequestACSResend) && !notSupported[code]
		if got := supportedMessages[i] == 'Y'; got != want {
			t.Errorf("BX position %d (%s): %v, want %v", i, code, got, want)
		}
	}
}

func TestParseMoney(t *testing.T) {
	for in, want := range map[string]int64{"12.50": 1250, "3": 300, "0.5": 50, ".25": 25, " 7.05 ": 705} {
		if got, ok := parseMoney(in); !ok || got != want {
			t.Errorf("parseMoney(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", ".", "1.", "1.234", "1,00", "-1", "1e3", "12345678901"} {
		if _, ok := parseMoney(in); ok {
			t.Errorf("parseMoney(%q) accepted", in)
		}
	}
}
