package node_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/hardware/escpos/emulator"
	"stacks/hardware/sip2"
	"stacks/node"
	"stacks/node/apitype"
	"stacks/node/nodetest"
)

// printingBranch is a demo branchd printing on an in-process emulator,
// with SIP2 on loopback and the web's registrations from welcomeFrom
// printing the welcome slip.
func printingBranch(t *testing.T, welcomeFrom ...string) (*node.Node, *emulator.Server) {
	t.Helper()
	em := emulator.New(emulator.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go em.Serve(ln)
	t.Cleanup(func() { ln.Close(); em.Shutdown(context.Background()) })
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.SIP2Addr, cfg.PINCost = filepath.Join(t.TempDir(), "n"), "127.0.0.1:0", "127.0.0.1:0", 4
	if cfg.Printing.Printers, err = node.ParsePrinters([]string{"desk=tcp://" + ln.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	for _, s := range welcomeFrom {
		p, err := node.ParseTrustedProxy(s)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Printing.WelcomeFrom = append(cfg.Printing.WelcomeFrom, p)
	}
	cfg.Printing.MaxBackoff = 200 * time.Millisecond
	return nodetest.Start(t, cfg), em
}

// waitPrinted waits until the emulator has printed n jobs and returns the
// last.
func waitPrinted(t *testing.T, em *emulator.Server, n int) emulator.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(em.Jobs()) < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	js := em.Jobs()
	if len(js) != n {
		t.Fatalf("printed %d jobs, want %d", len(js), n)
	}
	return js[n-1]
}

// blocks are the page's blocks of kind k.
func blocks(p *emulator.Page, k emulator.Kind) []string {
	var out []string
	for _, b := range p.Blocks {
		if b.Kind == k {
			out = append(out, b.Text)
		}
	}
	return out
}

// borrowers are demo patrons who may borrow.
func borrowers(t *testing.T, base string, n int) []*domain.Patron {
	t.Helper()
	var out []*domain.Patron
	for i := 1; i <= 80 && len(out) < n; i++ {
		var ps []*domain.Patron
		getJSON(t, base+fmt.Sprintf("/api/v1/patrons?cardnumber=2100000%07d", i), &ps)
		var st domain.PatronStatus
		if len(ps) == 1 && getJSON(t, base+"/api/v1/patrons/"+ps[0].PatronID+"/status", &st) == 200 && st.CanBorrow {
			out = append(out, ps[0])
		}
	}
	if len(out) < n {
		t.Fatalf("the demo has %d borrowers, want %d", len(out), n)
	}
	return out
}

// TestSlipsOfKioskCheckins: a checkin at a kiosk (SIP2) that traps a hold
// prints the hold slip at the branch printer, and one that sends the item
// to another branch prints the transit slip naming that branch.
func TestSlipsOfKioskCheckins(t *testing.T) {
	n, em := printingBranch(t)
	base := "http://" + n.Addr()
	var items []struct {
		Barcode  string `json:"barcode"`
		BiblioID string `json:"biblio_id"`
	}
	getJSON(t, base+"/api/v1/items?status=available&item_type_id=BOOK&_per_page=20", &items)
	for i := 1; i < len(items); i++ {
		if items[i].BiblioID != items[0].BiblioID {
			items = append(items[:1], items[i])
			break
		}
	}
	if len(items) != 2 {
		t.Fatal("the demo lacks two available books of two titles")
	}
	ps := borrowers(t, base, 2)
	a, b := ps[0], ps[1]
	for i, pickup := range []string{n.Identity().Branch, "WEST"} {
		if code, body, _ := postJSON(base+"/api/v1/checkouts", map[string]string{"cardnumber": a.Cardnumber, "barcode": items[i].Barcode}); code != 201 {
			t.Fatalf("checkout: %d %v", code, body)
		}
		if code, body, _ := postJSON(base+"/api/v1/holds", map[string]string{"patron_id": b.PatronID, "biblio_id": items[i].BiblioID, "pickup_library_id": pickup}); code != 201 {
			t.Fatalf("hold: %d %v", code, body)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := sip2.Dial(ctx, n.SIP2Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("demo-kiosk", "demo-kiosk", "LOBBY"); err != nil {
		t.Fatal(err)
	}
	r, err := c.Checkin("STACKS", "LOBBY", items[0].Barcode)
	if err != nil || r.Fixed[0] != '1' {
		t.Fatalf("kiosk checkin: %v %v", r, err)
	}
	hold := waitPrinted(t, em, 1).Page
	if txt := hold.Text(); !strings.Contains(txt, items[0].Barcode) || strings.Contains(txt, b.Surname) ||
		!strings.Contains(txt, b.Cardnumber[len(b.Cardnumber)-4:]) {
		t.Errorf("hold slip of a kiosk checkin:\n%s", txt)
	}
	r, err = c.Checkin("STACKS", "LOBBY", items[1].Barcode)
	if err != nil || r.Fixed[0] != '1' {
		t.Fatalf("kiosk checkin: %v %v", r, err)
	}
	transit := waitPrinted(t, em, 2).Page
	if txt := transit.Text(); !strings.Contains(txt, items[1].Barcode) || !strings.Contains(strings.ReplaceAll(txt, " ", ""), "WestfieldBranch") {
		t.Errorf("transit slip of a kiosk checkin:\n%s", txt)
	}
	var js []apitype.PrintJob
	getJSON(t, base+"/api/v1/printing/jobs", &js)
	if len(js) != 2 || js[0].Kind != "transit" || js[1].Kind != "hold" {
		t.Errorf("jobs %+v", js)
	}
}

// TestEventTicketPrinted: the desk asks for a patron's event ticket
// (kind ticket, the registration): it prints with the event, the seats and
// a QR code carrying the ticket's code; another patron's registration and
// a waitlisted one (no ticket) are refused.
func TestEventTicketPrinted(t *testing.T) {
	n, em := printingBranch(t)
	base := "http://" + n.Addr()
	ps := borrowers(t, base, 2)
	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	code, ev, _ := postJSON(base+"/api/v1/events", map[string]any{"title": "Knitting circle", "library_id": n.Identity().Branch, "room": "Room 2",
		"start": start.Format(time.RFC3339), "end": start.Add(time.Hour).Format(time.RFC3339), "capacity": 2})
	if code != 201 {
		t.Fatalf("event: %d %v", code, ev)
	}
	evID := ev["event_id"].(string)
	code, reg, _ := postJSON(base+"/api/v1/events/"+evID+"/registrations", map[string]any{"patron_id": ps[0].PatronID, "guest_count": 1})
	if code != 201 || reg["status"] != domain.EventRegistered {
		t.Fatalf("register: %d %v", code, reg)
	}
	code, wait, _ := postJSON(base+"/api/v1/events/"+evID+"/registrations", map[string]any{"patron_id": ps[1].PatronID})
	if code != 201 || wait["status"] != domain.EventWaitlisted {
		t.Fatalf("waitlist: %d %v", code, wait)
	}
	ticket := reg["ticket"].(string)
	code, job, _ := postJSON(base+"/api/v1/patrons/"+ps[0].PatronID+"/receipt", map[string]string{"kind": "ticket", "registration_id": reg["registration_id"].(string)})
	if code != 202 || job["kind"] != "ticket" {
		t.Fatalf("ticket: %d %v", code, job)
	}
	page := waitPrinted(t, em, 1).Page
	if qr := blocks(page, emulator.QRCode); len(qr) != 1 || qr[0] != ticket {
		t.Errorf("ticket's QR codes %q, want %q", qr, ticket)
	}
	txt := page.Text()
	for _, want := range []string{"Knitting circle", "Room 2", ticket} {
		if !strings.Contains(txt, want) && !strings.Contains(strings.ReplaceAll(txt, " ", ""), strings.ReplaceAll(want, " ", "")) {
			t.Errorf("ticket lacks %q:\n%s", want, txt)
		}
	}
	if !regexp.MustCompile(`(?mi)seats.* 2\s*$`).MatchString(txt) {
		t.Errorf("ticket does not say 2 seats:\n%s", txt)
	}
	for _, tc := range []struct {
		patron, reg string
		want        int
	}{
		{ps[1].PatronID, reg["registration_id"].(string), 404},  // not theirs
		{ps[1].PatronID, wait["registration_id"].(string), 400}, // waitlisted: no ticket
		{ps[0].PatronID, "", 400},
	} {
		if code, body, _ := postJSON(base+"/api/v1/patrons/"+tc.patron+"/receipt", map[string]string{"kind": "ticket", "registration_id": tc.reg}); code != tc.want {
			t.Errorf("ticket of %s for %s: %d %v, want %d", tc.reg, tc.patron, code, body, tc.want)
		}
	}
}

// TestWelcomeSlipAtSelfRegistration: a patron who registers on the web
// from one of the branch's terminals (--welcome-slip-from) gets the
// welcome slip with the new card's barcode, and the page says so; one who
// registers from elsewhere prints nothing.
func TestWelcomeSlipAtSelfRegistration(t *testing.T) {
	n, em := printingBranch(t, "127.0.0.0/8")
	base := "http://" + n.Addr()
	card := selfRegister(t, base, "Ilona", "Iso-Oja", true)
	page := waitPrinted(t, em, 1).Page
	if bc := blocks(page, emulator.Barcode); len(bc) != 1 || bc[0] != card {
		t.Errorf("welcome slip's barcodes %q, want the new card %s:\n%s", bc, card, page.Text())
	}

	// From an address that is not the branch's: nothing printed.
	n2, em2 := printingBranch(t, "192.0.2.0/24")
	selfRegister(t, "http://"+n2.Addr(), "Jere", "Jokinen", false)
	var js []apitype.PrintJob
	getJSON(t, "http://"+n2.Addr()+"/api/v1/printing/jobs", &js)
	if len(js) != 0 || len(em2.Jobs()) != 0 {
		t.Errorf("a registration from elsewhere printed: %+v", js)
	}
}

var cardRE = regexp.MustCompile(`class="cardno">([0-9]+)<`)

// selfRegister registers a patron on the web and returns the new card
// number; it checks the done page says the card is printing exactly when a
// slip was queued.
func selfRegister(t *testing.T, base, first, last string, printed bool) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	get := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d\n%s", resp.Request.URL, resp.StatusCode, b)
		}
		return string(b)
	}
	form := get(hc.Get(base + "/register"))
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(form)
	if m == nil {
		t.Fatalf("no CSRF token on /register:\n%s", form)
	}
	done := get(hc.PostForm(base+"/register", url.Values{"csrf": {m[1]}, "firstname": {first}, "surname": {last},
		"date_of_birth": {"1990-05-06"}, "email": {strings.ToLower(first) + "@example.org"}, "pin": {"4821"}, "pin_again": {"4821"}, "lang": {"en"}}))
	c := cardRE.FindStringSubmatch(done)
	if c == nil {
		t.Fatalf("no card number on the done page:\n%s", done)
	}
	if got := strings.Contains(done, `class="printed"`); got != printed {
		t.Errorf("the done page says the card is printing: %v, want %v", got, printed)
	}
	return c[1]
}

// TestReceiptsOnRequest: the return receipt lists today's returns here;
// a handoff code prints with its QR code, which redeems as the code does.
func TestReceiptsOnRequest(t *testing.T) {
	n, em := printingBranch(t)
	base := "http://" + n.Addr()
	var items []struct {
		Barcode string `json:"barcode"`
	}
	getJSON(t, base+"/api/v1/items?status=available&item_type_id=BOOK&_per_page=1", &items)
	p := borrowers(t, base, 1)[0]
	if len(items) == 0 {
		t.Fatal("no available book in the demo")
	}
	if code, body, _ := postJSON(base+"/api/v1/checkouts", map[string]string{"cardnumber": p.Cardnumber, "barcode": items[0].Barcode}); code != 201 {
		t.Fatalf("checkout: %d %v", code, body)
	}
	if code, body, _ := postJSON(base+"/api/v1/checkins", map[string]string{"barcode": items[0].Barcode}); code != 200 {
		t.Fatalf("checkin: %d %v", code, body)
	}
	// The checkin may have printed a transit slip (the copy's home may be
	// elsewhere): wait until the spool is idle, and count from there.
	printed := 0
	deadline := time.Now().Add(10 * time.Second)
	for {
		var js []apitype.PrintJob
		getJSON(t, base+"/api/v1/printing/jobs", &js)
		idle := true
		for _, j := range js {
			idle = idle && j.State == "done"
		}
		if idle {
			printed = len(js)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs %+v", js)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, body, _ := postJSON(base+"/api/v1/patrons/"+p.PatronID+"/receipt", map[string]string{"kind": "checkin"}); code != 202 {
		t.Fatalf("return receipt: %d %v", code, body)
	}
	if txt := waitPrinted(t, em, printed+1).Page.Text(); !strings.Contains(txt, items[0].Barcode) {
		t.Errorf("return receipt lacks %s:\n%s", items[0].Barcode, txt)
	}
	if code, body, _ := postJSON(base+"/api/v1/patrons/"+p.PatronID+"/receipt", map[string]string{"kind": "handoff", "intent": "kiosk_login"}); code != 202 {
		t.Fatalf("handoff: %d %v", code, body)
	}
	page := waitPrinted(t, em, printed+2).Page
	qr := blocks(page, emulator.QRCode)
	if len(qr) != 1 {
		t.Fatalf("handoff slip's QR codes %q:\n%s", qr, page.Text())
	}
	code, body, _ := postJSON(base+"/api/v1/handoff_codes/redemption", map[string]string{"code": qr[0]})
	if code != 200 || !strings.Contains(fmt.Sprint(body), p.PatronID) {
		t.Errorf("the printed QR code redeems: %d %v", code, body)
	}
}
