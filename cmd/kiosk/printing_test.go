package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"stacks/hardware/escpos/emulator"
)

// TestKioskPrintsReceipt: the end-of-session receipt goes to the kiosk's
// printer; while the printer is out of paper it is retried in memory and
// prints once the paper is back.
func TestKioskPrintsReceipt(t *testing.T) {
	em := emulator.New(emulator.Config{PaperOut: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go em.Serve(ln)
	defer func() { ln.Close(); em.Shutdown(context.Background()) }()

	k := newTestKiosk(t, "fi")
	var screen, log strings.Builder
	k.out, k.library = &screen, "Kallion kirjasto"
	k.card, k.name = "21000000001234", "Äino Virtanen"
	k.lines = map[string][]string{secCheckedOut: {"Seitsemän veljestä 2025-03-24"}}
	if k.printer, err = newReceiptPrinter("tcp://"+ln.Addr().String(), &log); err != nil {
		t.Fatal(err)
	}
	k.printer.backoff = 20 * time.Millisecond
	k.showReceipt()
	if !strings.Contains(screen.String(), "Seitsemän veljestä") {
		t.Fatalf("screen: %s", screen.String())
	}
	time.Sleep(100 * time.Millisecond) // let a few tries meet the paper-out printer
	if len(em.Jobs()) != 0 {
		t.Fatal("printed without paper")
	}
	em.SetPaperOut(false)
	k.printer.close(10 * time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for len(em.Jobs()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // the emulator renders the job after the connection ends
	}
	jobs := em.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("printed %d jobs; log: %s", len(jobs), log.String())
	}
	text := jobs[0].Page.Text()
	for _, want := range []string{"Kallion kirjasto", "Seitsemän veljestä 2025-03-24", "1234", "Äino Virtanen"} {
		if !strings.Contains(text, want) {
			t.Errorf("printed receipt lacks %q:\n%s", want, text)
		}
	}
}
