package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/hardware/sip2"
)

// acs serves SIP2 in-process on loopback over a real branch service, with a
// kiosk account and two patrons: Aino prefers Finnish, Bob English.
func acs(t *testing.T) string {
	t.Helper()
	svc := branchtest.Open(t, branchtest.Options{}).Service
	ctx := branchtest.Admin(context.Background())
	branchtest.SeedPolicy(t, ctx, svc)
	do := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := svc.SetStaff(ctx, domain.NewStaff{Username: "k1", Role: domain.RoleKiosk, BranchID: "MAIN", Password: "k1-pass"})
	do(err)
	for _, p := range []struct{ card, first, lang string }{{"2100001", "Aino", "fi"}, {"2100002", "Bob", "en"}} {
		_, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: p.card, Firstname: p.first, Surname: "Reader",
			Category: "ADULT", PIN: "1234", HomeBranch: "MAIN", Language: p.lang})
		do(err)
	}
	b, err := svc.AddBiblio(ctx, domain.NewBiblio{Title: "Seitsemän veljestä", Format: "book"})
	do(err)
	for _, bc := range []string{"3900001", "3900002"} {
		_, err = svc.AddItem(ctx, domain.NewItem{Barcode: bc, BiblioID: b.BiblioID, ItemType: "BOOK", HomeBranch: "MAIN"})
		do(err)
	}
	srv, err := sip2.NewServer(sip2.DefaultConfig(svc, sip2.PINVerifierFunc(func(ctx context.Context, card, pin string) error {
		_, err := svc.CheckPIN(ctx, card, pin)
		return err
	})))
	do(err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	do(err)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		<-done
	})
	return ln.Addr().String()
}

// screens runs the kiosk's patron screens (interactive) with the lines of
// input typed one by one, and returns everything it showed.
func screens(t *testing.T, addr, lang string, input ...string) string {
	t.Helper()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	k, err := connect(ctx, options{acs: addr, user: "k1", password: "k1-pass", location: "K1", lang: lang}, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer k.cl.Close()
	if err := interactive(k, strings.NewReader(strings.Join(input, "\n")+"\n")); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestKioskScreensInFinnish: the first screen offers Finnish (l); chosen,
// every screen is Finnish, and so is what branchd says (AF) for a patron
// with no preference of theirs... Aino, who prefers Finnish, gets Finnish
// screens at a kiosk left in English, and the kiosk goes back to the
// language chosen on its first screen when she is done; Bob, who prefers
// English, gets English at a kiosk set to Finnish.
func TestKioskScreensInFinnish(t *testing.T) {
	addr := acs(t)
	contains := func(t *testing.T, out string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("the screens lack %q:\n%s", w, out)
			}
		}
	}
	t.Run("choose Finnish on the first screen", func(t *testing.T) {
		out := screens(t, addr, "en", "l", "9999999", "1234", "q")
		contains(t, out, "Welcome to Main Library.  [l] suomeksi", "Main Library – tervetuloa!  [l] in English",
			"Lue kirjastokorttisi (tai kirjoita q sulkeaksesi automaatin): ", "PIN-koodi: ",
			"Emme tunnista tätä korttia. Kysy asiakaspalvelusta.")
	})
	t.Run("a Finnish patron at an English kiosk", func(t *testing.T) {
		out := screens(t, addr, "en", "2100001", "1234", "o", "3900001", "d", "q")
		contains(t, out, "Tervetuloa, Aino.", "[o] lainaa  [i] palauta", "Lue aineiston viivakoodi: ",
			"Lainattu: Seitsemän veljestä. Palauta se viimeistään ", "Lainauskuitti", "Kortti: ***0001", "Lainattu:\n  Seitsemän veljestä - eräpäivä ",
			"Kiitos, että käytit kirjastoa. Näkemiin.")
		// After her session the kiosk speaks English again.
		if i := strings.LastIndex(out, "Welcome to Main Library."); i < strings.LastIndex(out, "Näkemiin.") {
			t.Errorf("the first screen did not go back to English:\n%s", out)
		}
	})
	t.Run("an English patron at a Finnish kiosk", func(t *testing.T) {
		out := screens(t, addr, "fi", "2100002", "1234", "o", "3900002", "d", "q")
		contains(t, out, "Main Library – tervetuloa!", "Welcome, Bob.", "[o] check out", "Checked out: Seitsemän veljestä.",
			"Self-check receipt", "Thank you for using the library. Goodbye.")
	})
}
