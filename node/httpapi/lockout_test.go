package httpapi_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"stacks/hardware/sip2"
)

// TestPINLockoutAcrossSIP2AndWeb: wrong PINs at a self-check kiosk (SIP2)
// and on the web API count towards one lockout. Two failures at the kiosk
// and three on the web lock the card: the sixth attempt, with the right
// PIN, is refused on both channels.
func TestPINLockoutAcrossSIP2AndWeb(t *testing.T) {
	f := newFixture(t)
	pins := sip2.PINVerifierFunc(func(ctx context.Context, card, pin string) error {
		_, err := f.svc.CheckPIN(ctx, card, pin)
		return err
	})
	cfg := sip2.DefaultConfig(f.svc, pins)
	sipLogs := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(sipLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := sip2.NewServer(cfg)
	must(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kiosk, err := sip2.Dial(ctx, ln.Addr().String(), nil)
	must(t, err)
	defer kiosk.Close()
	must(t, kiosk.Login("demo-kiosk", "demo-kiosk", "MAIN"))

	alice := card(f.patrons["Alice"])
	pinValid := func(m *sip2.Message, err error) string {
		t.Helper()
		must(t, err)
		return m.Value("CQ")
	}
	if got := pinValid(kiosk.PatronStatus("MAIN", alice, "1234")); got != "Y" {
		t.Fatalf("the right PIN at the kiosk: CQ %q", got)
	}
	for i := range 2 {
		if got := pinValid(kiosk.PatronStatus("MAIN", alice, "9999")); got != "N" {
			t.Fatalf("kiosk failure %d: CQ %q", i+1, got)
		}
	}
	web := func(pin string) response {
		return f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": alice, "pin": pin}, asAnon, header("X-Stacks-Channel", "web"))
	}
	web("9999").wantProblem(t, http.StatusUnauthorized, "bad_credentials")
	web("9999").wantProblem(t, http.StatusUnauthorized, "bad_credentials")
	web("9999").wantProblem(t, http.StatusLocked, "pin_locked") // the fifth failure overall
	web("1234").wantProblem(t, http.StatusLocked, "pin_locked") // the sixth attempt
	if got := pinValid(kiosk.PatronStatus("MAIN", alice, "1234")); got != "N" {
		t.Errorf("the right PIN at the kiosk while locked: CQ %q", got)
	}

	// The failures are recorded per channel; staff clear the lockout.
	var kioskFails, webFails int
	rows, err := f.svc.Log().DB().Read().QueryContext(ctx, `SELECT channel, COUNT(*) FROM pin_attempts WHERE ok=0 GROUP BY channel`)
	must(t, err)
	for rows.Next() {
		var ch string
		var n int
		must(t, rows.Scan(&ch, &n))
		switch ch {
		case "kiosk":
			kioskFails = n
		case "web":
			webFails = n
		}
	}
	rows.Close()
	if kioskFails != 2 || webFails != 3 {
		t.Errorf("failures: %d at the kiosk, %d on the web; want 2 and 3", kioskFails, webFails)
	}
	f.do("DELETE", "/api/v1/patrons/"+f.patrons["Alice"].PatronID+"/pin_lockout", nil, asClerk).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("DELETE", "/api/v1/patrons/"+f.patrons["Alice"].PatronID+"/pin_lockout", nil, asSuper).want(t, http.StatusNoContent, nil)
	web("1234").want(t, http.StatusOK, nil)

	// Neither channel logs a PIN.
	for _, logs := range []string{sipLogs.String(), f.logs.String()} {
		for _, pin := range []string{"1234", "9999"} {
			if strings.Contains(logs, "="+pin) || strings.Contains(logs, `"`+pin+`"`) || strings.Contains(logs, "AD"+pin) {
				t.Errorf("a PIN is logged:\n%s", logs)
			}
		}
	}
}
