package node_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/hardware/escpos/emulator"
	"stacks/node"
	"stacks/node/apitype"
	"stacks/node/nodetest"
)

// TestHoldSlipAfterCheckin: a desk checkin that traps a hold queues a hold
// slip naming the patron by initials and the card's last four digits; a
// payment at the desk queues a payment receipt; bad requests are refused.
func TestHoldSlipAfterCheckin(t *testing.T) {
	em := emulator.New(emulator.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go em.Serve(ln)
	defer func() { ln.Close(); em.Shutdown(context.Background()) }()

	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost = filepath.Join(t.TempDir(), "n"), "127.0.0.1:0", 4
	cfg.Printing.Printers, err = node.ParsePrinters([]string{"desk=tcp://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Printing.MaxBackoff = 200 * time.Millisecond
	n := nodetest.Start(t, cfg)
	base := "http://" + n.Addr()

	var items []struct {
		Barcode  string `json:"barcode"`
		BiblioID string `json:"biblio_id"`
		Title    string `json:"title"`
	}
	getJSON(t, base+"/api/v1/items?status=available&item_type_id=BOOK&_per_page=1", &items)
	var borrowers []*domain.Patron
	for i := 1; i <= 60 && len(borrowers) < 2; i++ {
		var ps []*domain.Patron
		getJSON(t, base+fmt.Sprintf("/api/v1/patrons?cardnumber=2100000%07d", i), &ps)
		var st domain.PatronStatus
		if len(ps) == 1 && getJSON(t, base+"/api/v1/patrons/"+ps[0].PatronID+"/status", &st) == 200 && st.CanBorrow {
			borrowers = append(borrowers, ps[0])
		}
	}
	if len(items) == 0 || len(borrowers) < 2 {
		t.Fatal("demo data lacks an item or two borrowers")
	}
	a, b, it := borrowers[0], borrowers[1], items[0]
	if code, body, _ := postJSON(base+"/api/v1/checkouts", map[string]string{"cardnumber": a.Cardnumber, "barcode": it.Barcode}); code != 201 {
		t.Fatalf("checkout: %d %v", code, body)
	}
	if code, body, _ := postJSON(base+"/api/v1/holds", map[string]string{"patron_id": b.PatronID, "biblio_id": it.BiblioID, "pickup_library_id": n.Identity().Branch}); code != 201 {
		t.Fatalf("hold: %d %v", code, body)
	}
	code, body, _ := postJSON(base+"/api/v1/checkins", map[string]string{"barcode": it.Barcode})
	if code != 200 || body["action"] != domain.ActionHoldShelf {
		t.Fatalf("checkin: %d %v", code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(em.Jobs()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(em.Jobs()) != 1 {
		t.Fatalf("printed %d jobs", len(em.Jobs()))
	}
	text := em.Jobs()[0].Page.Text()
	initials := strings.ToUpper(b.Firstname[:1]) + "." + strings.ToUpper(b.Surname[:1]) + ". *" + b.Cardnumber[len(b.Cardnumber)-4:]
	spread := strings.Join(strings.Split(initials, ""), " ")
	if !strings.Contains(text, spread) || strings.Contains(text, b.Surname) {
		t.Errorf("hold slip does not name the patron as %q only:\n%s", initials, text)
	}

	// A payment at the desk: a payment receipt.
	if code, body, _ := postJSON(base+"/api/v1/patrons/"+a.PatronID+"/account/charges", map[string]any{"amount_cents": 250, "description": "lost card"}); code != 201 {
		t.Fatalf("charge: %d %v", code, body)
	}
	if code, body, _ := postJSON(base+"/api/v1/patrons/"+a.PatronID+"/account/payments", map[string]any{"amount_cents": 250, "payment_type": "cash"}); code != 201 {
		t.Fatalf("pay: %d %v", code, body)
	}
	var js []apitype.PrintJob
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		getJSON(t, base+"/api/v1/printing/jobs", &js)
		if len(js) == 2 && js[0].State == "done" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(js) != 2 || js[0].Kind != "payment" || js[0].State != "done" || js[1].Kind != "hold" {
		t.Fatalf("jobs %+v", js)
	}

	resp, err := asAdmin("GET", base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), `stacks_print_jobs_queued{printer="desk"} 0`) {
		t.Errorf("metrics lack the print queue gauge")
	}
	// Insight's gauges: today's returns at the desk (the checkin above),
	// and the self-served share.
	if !strings.Contains(string(raw), `stacks_insight_today{channel="desk",library_id="`+n.Identity().Branch+`",metric="returns"}`) ||
		!strings.Contains(string(raw), "stacks_insight_self_served_share_today ") {
		t.Errorf("metrics lack insight's gauges:\n%s", raw)
	}
	// The op log's commits: the demo's load and the checkin above were
	// committed, so both the histogram and the transactions count moved.
	if m := regexp.MustCompile(`(?m)^stacks_oplog_batch_seconds_count\{phase="commit"\} (\d+)$`).FindStringSubmatch(string(raw)); m == nil || m[1] == "0" {
		t.Errorf("metrics lack the op log's commit latency: %v", m)
	}
	if m := regexp.MustCompile(`(?m)^stacks_oplog_committed_transactions_total (\d+)$`).FindStringSubmatch(string(raw)); m == nil || m[1] == "0" {
		t.Errorf("metrics lack the committed transactions: %v", m)
	}

	// Refusals: an unknown receipt kind, an unknown printer, a job that is done.
	for _, tc := range []struct {
		url  string
		body any
		want int
	}{
		{"/api/v1/patrons/" + a.PatronID + "/receipt", map[string]string{"kind": "poem"}, 400},
		{"/api/v1/patrons/" + a.PatronID + "/receipt", map[string]string{"printer": "nope"}, 400},
		{"/api/v1/printing/jobs/1/cancel", nil, 400},
		{"/api/v1/printing/jobs/999/cancel", nil, 404},
		{"/api/v1/printing/jobs/x/retry", nil, 400},
	} {
		if code, body, _ := postJSON(base+tc.url, tc.body); code != tc.want {
			t.Errorf("%s %v: %d %v, want %d", tc.url, tc.body, code, body, tc.want)
		}
	}
}
