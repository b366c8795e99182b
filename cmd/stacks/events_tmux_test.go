package main_test

import (
	"image"
	"image/color"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"stacks/node/e2etest"
)

// TestEventJourneyInTmux is the seeds' journey, end to end with real
// processes: against a real branchd with the demo library, a patron
// registers for an event through the patron API, finds the ticket in the
// answer and on their tickets page (/account/events, whose QR code is
// decoded from its SVG), scans it where the card goes at the real kiosk
// (in tmux), then at the real desk (stacks tui, F8), which says it is
// already checked in; the event counts one check-in.
func TestEventJourneyInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three binaries; skipped with -short")
	}
	x := e2etest.NewTmux(t)
	b := e2etest.Binaries(t, "stacks", "branchd", "kiosk")
	br := e2etest.StartBranchd(t, b["branchd"])
	x.Context = br.Logs.String

	// An event with seats, among the demo's.
	type event struct {
		EventID    string `json:"event_id"`
		Title      string `json:"title"`
		DropIn     bool   `json:"drop_in"`
		Cancelled  bool   `json:"cancelled"`
		SeatsFree  int    `json:"seats_free"`
		CheckedIn  int    `json:"checked_in"`
		Attendance int    `json:"attendance"`
	}
	var all []event
	if code := e2etest.Call(t, "GET", br.API+"/api/v1/events", "", nil, &all); code != http.StatusOK {
		t.Fatalf("GET /api/v1/events: %d", code)
	}
	var ev event
	for _, e := range all {
		if !e.DropIn && !e.Cancelled && e.SeatsFree >= 1 {
			ev = e
			break
		}
	}
	if ev.EventID == "" {
		t.Fatalf("the demo has no event with a free seat: %+v", all)
	}

	// The patron registers through the patron API.
	const card, pin = "21000000000007", "1234"
	var auth struct {
		Token string `json:"token"`
	}
	if code := e2etest.Call(t, "POST", br.API+"/api/v1/auth/patron", "", map[string]string{"cardnumber": card, "pin": pin}, &auth); code != http.StatusOK || auth.Token == "" {
		t.Fatalf("patron login: %d %+v", code, auth)
	}
	var reg struct {
		RegistrationID string `json:"registration_id"`
		Status         string `json:"status"`
		Ticket         string `json:"ticket"`
	}
	if code := e2etest.Call(t, "POST", br.API+"/api/v1/patron/event_registrations", auth.Token, map[string]any{"event_id": ev.EventID}, &reg); code != http.StatusCreated {
		t.Fatalf("registration: %d", code)
	}
	if reg.Status != "registered" || !strings.HasPrefix(reg.Ticket, "EVT-") {
		t.Fatalf("registration answer %+v, want registered with an EVT- ticket", reg)
	}

	// The same ticket on their tickets page, as text and as a QR code.
	page := webTickets(t, br.API, card, pin)
	if !strings.Contains(page, reg.Ticket) {
		t.Fatalf("/account/events lacks the ticket %s:\n%s", reg.Ticket, page)
	}
	if got := decodeTicketQR(t, page, ev.Title); got != reg.Ticket {
		t.Fatalf("the QR code on /account/events says %q, want %q", got, reg.Ticket)
	}

	// Scanned at the kiosk where the card goes.
	x.Start("kiosk", 120, 30, b["kiosk"]+" --acs "+br.SIP+" --api "+br.API+" --location LOBBY-KIOSK")
	x.WaitFor("kiosk", "Scan your library card")
	x.Send("kiosk", reg.Ticket, "Enter")
	x.WaitFor("kiosk", "Welcome to "+ev.Title+": you are checked in.")

	// Then at the desk, F8: already checked in.
	x.Start("desk", 140, 40, b["stacks"]+" tui --api "+br.API)
	x.WaitFor("desk", "Log in to the desk")
	x.Send("desk", "clerk", "Tab", "clerk", "Enter")
	x.WaitFor("desk", "F1 Checkout")
	x.Send("desk", "F8")
	x.WaitFor("desk", "scan a ticket to check it in", "Ticket:")
	x.Send("desk", reg.Ticket, "Enter")
	x.WaitFor("desk", "already checked in:", ev.Title)

	// Counted once.
	var got event
	e2etest.StaffGet(t, br.API+"/api/v1/events/"+ev.EventID, &got)
	if got.CheckedIn != 1 || got.Attendance != 1 {
		t.Errorf("after the kiosk and the desk: checked_in %d, attendance %d; want 1 and 1", got.CheckedIn, got.Attendance)
	}
	var regs []struct {
		RegistrationID string `json:"registration_id"`
		CheckedIn      string `json:"checked_in_at"`
	}
	if code := e2etest.Call(t, "GET", br.API+"/api/v1/events/"+ev.EventID+"/registrations", e2etest.Staff, nil, &regs); code != http.StatusOK {
		t.Fatalf("registrations: %d", code)
	}
	n := 0
	for _, r := range regs {
		if r.CheckedIn != "" {
			n++
			if r.RegistrationID != reg.RegistrationID {
				t.Errorf("registration %s checked in, want only %s", r.RegistrationID, reg.RegistrationID)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d registrations checked in, want 1", n)
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// webTickets logs in on the web pages with an HTTP client (cookies, CSRF
// token from the form) and returns /account/events.
func webTickets(t *testing.T, base, card, pin string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) string {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
		return string(body)
	}
	m := csrfRE.FindStringSubmatch(get("/login"))
	if m == nil {
		t.Fatal("no CSRF token on /login")
	}
	resp, err := c.PostForm(base+"/login", url.Values{"csrf": {m[1]}, "cardnumber": {card}, "pin": {pin}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("web login: %d", resp.StatusCode)
	}
	return get("/account/events")
}

var (
	svgRE  = regexp.MustCompile(`(?s)<svg [^>]*viewBox="0 0 (\d+) (\d+)"[^>]*>(.*?)</svg>`)
	rectRE = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v(\d+)h-\d+z`)
)

// decodeTicketQR draws the QR code's SVG (the web's barcodes are one path
// of rectangles) whose label names the event, and decodes it.
func decodeTicketQR(t *testing.T, page, title string) string {
	t.Helper()
	for _, m := range svgRE.FindAllStringSubmatch(page, -1) {
		if !strings.Contains(m[0], title) {
			continue
		}
		w, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		const scale = 4
		img := image.NewGray(image.Rect(0, 0, w*scale, h*scale))
		for i := range img.Pix {
			img.Pix[i] = 0xff
		}
		for _, r := range rectRE.FindAllStringSubmatch(m[3], -1) {
			x0, _ := strconv.Atoi(r[1])
			y0, _ := strconv.Atoi(r[2])
			rw, _ := strconv.Atoi(r[3])
			rh, _ := strconv.Atoi(r[4])
			for y := y0 * scale; y < (y0+rh)*scale; y++ {
				for x := x0 * scale; x < (x0+rw)*scale; x++ {
					img.SetGray(x, y, color.Gray{})
				}
			}
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("the QR code does not decode: %v", err)
		}
		return res.GetText()
	}
	t.Fatalf("no QR code for %q on the page:\n%s", title, page)
	return ""
}
