package main_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/node/e2etest"
	"stacks/replicate"
)

// The patron's journeys across channels, end to end with real processes:
// branchd with the demo library, the patron web in headless Chromium, the
// reference kiosk and the staff desk in tmux. What a person reads on one
// channel (the card's barcode, a handoff code) is what they type on the
// next.

const demoPIN = "1234" // every demo patron's PIN

type demoItem struct {
	ItemID   string `json:"item_id"`
	BiblioID string `json:"biblio_id"`
	Barcode  string `json:"barcode"`
	Title    string `json:"title"`
	Status   string `json:"status"`
}

// borrower is a demo patron who may borrow and has room for more loans.
func borrower(t *testing.T, api string, skip map[string]bool) (card, patronID string) {
	t.Helper()
	for i := 1; i <= 60; i++ {
		c := fmt.Sprintf("210000000000%02d", i)
		if skip[c] {
			continue
		}
		var ps []struct {
			PatronID string `json:"patron_id"`
		}
		getJSON(t, api+"/api/v1/patrons?cardnumber="+c, &ps)
		if len(ps) == 0 {
			continue
		}
		var st domain.PatronStatus
		getJSON(t, api+"/api/v1/patrons/"+ps[0].PatronID+"/status", &st)
		if st.CanBorrow && st.BalanceCents == 0 && st.Loans < 3 {
			return c, ps[0].PatronID
		}
	}
	t.Fatal("no demo patron may borrow")
	return "", ""
}

// books are available books on the shelf at MAIN.
func books(t *testing.T, api string, n int) []demoItem {
	t.Helper()
	var items []demoItem
	getJSON(t, fmt.Sprintf("%s/api/v1/items?status=available&library_id=MAIN&item_type_id=BOOK&_per_page=%d", api, n), &items)
	if len(items) < n {
		t.Fatalf("the demo has %d available books at MAIN, want %d", len(items), n)
	}
	return items
}

// webTab is a fresh browser tab, logged in to the patron web as card.
func webTab(t *testing.T, browser context.Context, api, card string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelT(); cancel() })
	must(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(api+"/login"), chromedp.WaitVisible(chromedp.CSS("#cardnumber")),
		chromedp.SendKeys(chromedp.CSS("#cardnumber"), card), chromedp.SendKeys(chromedp.CSS("#pin"), demoPIN),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#loans"))))
	return ctx
}

// screenshot keeps the tab's page as name.png among the artefacts.
func screenshot(t *testing.T, ctx context.Context, dir, name string) []byte {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
	return png
}

// startKiosk runs the reference kiosk in a tmux session against br.
func startKiosk(x *e2etest.Tmux, kiosk string, br *e2etest.Branchd, session string) {
	x.Start(session, 120, 40, kiosk+" --acs "+br.SIP+" --location JOURNEY-KIOSK")
	x.WaitFor(session, "Scan your library card")
}

// opsFor stops br and returns the ops of kind in its log whose payload
// names id.
func opsFor(t *testing.T, br *e2etest.Branchd, kind, id string) []replicate.Op {
	t.Helper()
	br.Stop()
	db, err := replicate.OpenDB(context.Background(), filepath.Join(br.Dir, "stacks.db"), branch.Migrations())
	must(t, err)
	defer db.Close()
	ops, err := replicate.NewLog(db, replicate.DefaultConfig(1), branch.Applier{}).AllOps(context.Background())
	must(t, err)
	var out []replicate.Op
	for _, op := range ops {
		if op.Kind == kind && bytes.Contains(op.Payload, []byte(id)) {
			out = append(out, op)
		}
	}
	return out
}

// TestJourneyDigitalCardAtKiosk: a patron logs in to the patron web on a
// phone-sized Chromium and opens the digital card; the card number read
// from the screenshot's barcode (Code 128, and the QR code agrees) is what
// they present at the kiosk, which lets them in and checks out a book.
func TestJourneyDigitalCardAtKiosk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd, the kiosk and Chromium")
	}
	x := e2etest.NewTmux(t)
	browser := e2etest.Browser(t)
	shots := e2etest.Artefacts(t, "journeys")
	b := binaries(t)
	br := startBranchd(t, b["branchd"])
	x.Context = br.Logs.String
	card, patronID := borrower(t, br.API, nil)
	book := books(t, br.API, 1)[0]

	// On the phone: the card page, read back from the pixels.
	tab := webTab(t, browser, br.API, card)
	must(t, chromedp.Do(tab, chromedp.Navigate(br.API+"/account/card"), chromedp.WaitVisible(chromedp.CSS(".card svg"))))
	png := screenshot(t, tab, shots, "digital-card")
	scanned, err := e2etest.Decode(png, oned.NewCode128Reader())
	if err != nil {
		t.Fatalf("no Code 128 on the card page: %v", err)
	}
	if qr, err := e2etest.Decode(png, qrcode.NewQRCodeReader()); err != nil || qr != scanned {
		t.Fatalf("the QR code reads %q (%v), the barcode %q", qr, err, scanned)
	}
	if scanned != card {
		t.Fatalf("the card page's barcode reads %q, the patron's card is %s", scanned, card)
	}

	// At the kiosk: the scanned number, the PIN, one book.
	startKiosk(x, b["kiosk"], br, "kiosk")
	x.Send("kiosk", scanned, "Enter")
	x.WaitFor("kiosk", scanned, "PIN:")
	x.Send("kiosk", demoPIN, "Enter")
	x.WaitFor("kiosk", "[o] check out")
	x.Send("kiosk", "o", "Enter")
	x.WaitFor("kiosk", "Scan the item's barcode")
	x.Send("kiosk", book.Barcode, "Enter")
	screen := x.WaitFor("kiosk", "Checked out")
	t.Logf("kiosk after the checkout:\n%s", screen)
	x.Send("kiosk", "d", "Enter")
	x.WaitFor("kiosk", "Self-check receipt", book.Title)

	// The appliance agrees: the loan is the patron's, made at the kiosk.
	var loans []domain.Loan
	getJSON(t, br.API+"/api/v1/patrons/"+patronID+"/checkouts", &loans)
	var loan *domain.Loan
	for i := range loans {
		if loans[i].ItemID == book.ItemID {
			loan = &loans[i]
		}
	}
	if loan == nil {
		t.Fatalf("no loan of %s for %s: %+v", book.Barcode, card, loans)
	}
	ops := opsFor(t, br, branch.KindCheckout, loan.LoanID)
	if len(ops) != 1 || ops[0].Channel != string(domain.ChannelKiosk) {
		t.Fatalf("the checkout's ops: %+v, want one on channel kiosk", ops)
	}
}

// handoffCode makes a code for intent (the radio's value) on the web page
// /account/handoff; the code as the page shows it to type, checked
// against the QR code read from the screenshot.
func handoffCode(t *testing.T, tab context.Context, api, shots, intent string) string {
	t.Helper()
	must(t, chromedp.Do(tab, chromedp.Navigate(api+"/account/handoff"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/account/handoff"]`)),
		chromedp.Click(chromedp.CSS(`input[name=intent][value=`+intent+`]`)),
		chromedp.Click(chromedp.CSS(`form[action="/account/handoff"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".qr svg"))))
	typed, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".cardno")))
	must(t, err)
	typed = strings.TrimSpace(typed)
	png := screenshot(t, tab, shots, "handoff-"+intent)
	qr, err := e2etest.Decode(png, qrcode.NewQRCodeReader())
	if err != nil {
		// The whole page can mislead the reader (other squares pass for
		// finder patterns); the code alone, in a margin, cannot.
		t.Logf("the QR code was not read from the whole page (%v); reading it alone", err)
		if qr, err = e2etest.DecodeElement(tab, ".qr svg", qrcode.NewQRCodeReader()); err != nil {
			t.Fatalf("no QR code on the handoff page: %v", err)
		}
	}
	if want := domain.HandoffQRPrefix + strings.ReplaceAll(typed, "-", ""); qr != want {
		t.Fatalf("the QR code reads %q, the page says to type %q", qr, typed)
	}
	return typed
}

// TestJourneyHandoffWebToKioskAndDesk: a patron makes a "log me in at the
// kiosk" code on the web and types it at the kiosk (in tmux) in place of
// the PIN: they are let in, and the same code again is refused. Then a
// "pick up my ready holds" code made on the web is typed at the staff desk
// (stacks tui in tmux), which checks out the ready hold; the same code
// again is refused.
func TestJourneyHandoffWebToKioskAndDesk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd, the kiosk, the desk and Chromium")
	}
	x := e2etest.NewTmux(t)
	browser := e2etest.Browser(t)
	shots := e2etest.Artefacts(t, "journeys")
	b := e2etest.Binaries(t, "branchd", "kiosk", "stacks")
	br := startBranchd(t, b["branchd"])
	x.Context = br.Logs.String
	card, patronID := borrower(t, br.API, nil)
	book := books(t, br.API, 1)[0]

	// A hold for the patron, made ready: the copy checked in at MAIN goes
	// to the hold shelf.
	var hold domain.Hold
	if code := e2etest.Call(t, "POST", br.API+"/api/v1/holds", e2etest.Staff,
		domain.HoldRequest{PatronID: patronID, BiblioID: book.BiblioID, ItemID: book.ItemID, PickupBranch: "MAIN"}, &hold); code != 201 {
		t.Fatalf("place hold: %d", code)
	}
	var ci domain.CheckinResult
	if code := e2etest.Call(t, "POST", br.API+"/api/v1/checkins", e2etest.Staff, map[string]string{"barcode": book.Barcode}, &ci); code != 200 || ci.Action != "hold_shelf" {
		t.Fatalf("checkin to trap the hold: %d %+v", code, ci)
	}

	tab := webTab(t, browser, br.API, card)

	// The kiosk: card, then the code where the PIN goes.
	login := handoffCode(t, tab, br.API, shots, "kiosk_login")
	for i, want := range []string{"[o] check out", "already been used"} {
		s := []string{"kiosk-first", "kiosk-again"}[i]
		startKiosk(x, b["kiosk"], br, s)
		x.Send(s, card, "Enter")
		x.WaitFor(s, card, "PIN:")
		x.Send(s, login, "Enter")
		screen := x.WaitFor(s, want)
		if strings.Contains(screen, login) {
			t.Errorf("%s: the code shows on the screen:\n%s", s, screen)
		}
		if i == 0 {
			x.Send(s, "d", "Enter")
			x.WaitFor(s, "Self-check receipt")
		}
	}

	// The desk: the pickup code typed in the checkout screen's card field.
	pickup := handoffCode(t, tab, br.API, shots, "pickup_holds")
	x.Start("desk", 120, 40, b["stacks"]+" tui --api "+br.API)
	x.WaitFor("desk", "Log in to the desk")
	x.Send("desk", "clerk", "Tab", "clerk", "Enter")
	x.WaitFor("desk", "F1 Checkout", "clerk · circulation")
	x.Send("desk", pickup, "Enter")
	screen := x.WaitFor("desk", "Handoff code: 1 ready hold(s) checked out.", book.Barcode)
	t.Logf("desk after the pickup code:\n%s", screen)
	var loans []domain.Loan
	getJSON(t, br.API+"/api/v1/patrons/"+patronID+"/checkouts", &loans)
	lent := false
	for _, l := range loans {
		lent = lent || l.ItemID == book.ItemID
	}
	if !lent {
		t.Fatalf("the held copy %s is not lent to %s: %+v", book.Barcode, card, loans)
	}
	var h domain.Hold
	getJSON(t, br.API+"/api/v1/holds/"+hold.HoldID, &h)
	if h.Status != "fulfilled" {
		t.Errorf("the hold is %q after the pickup", h.Status)
	}
	// Finish this patron (the receipt), then the same code again.
	x.Send("desk", "Escape")
	x.WaitFor("desk", "Receipt")
	x.Send("desk", "Enter")
	x.WaitFor("desk", "Patron card:")
	x.Send("desk", pickup, "Enter")
	x.WaitFor("desk", "This handoff code has already been used.")
	x.Send("desk", "F10")
}
