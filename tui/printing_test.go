package tui_test

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/hardware/escpos/emulator"
	"stacks/node/client/clienttest"
)

// waitRefreshed presses ^R until every one of wants is on the screen (the
// print jobs screen reads the spool when asked, not by itself).
func (d *desk) waitRefreshed(wants ...string) string {
	d.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s := d.screen()
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %q on the screen:\n%s", wants, s)
		}
		d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlR})
		<-tick.C
	}
}

// waitJobs waits until the emulator has printed n jobs and returns them.
func waitJobs(t *testing.T, em *emulator.Server, n int) []emulator.Job {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for len(em.Jobs()) < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if js := em.Jobs(); len(js) != n {
		t.Fatalf("the printer printed %d jobs, want %d", len(js), n)
	}
	return em.Jobs()
}

// lend checks items out to card at the checkout screen and prints the
// receipt with p.
func (d *desk) lend(card string, barcodes ...string) {
	d.t.Helper()
	d.key(tea.KeyF1)
	d.waitFor("scan or type the patron's card")
	d.scan(card)
	d.waitFor("Item barcode")
	for _, b := range barcodes {
		d.scan(b)
		d.waitFor(b)
	}
	d.key(tea.KeyEsc)
	d.waitFor("Receipt", "p print")
	d.runes("p")
}

// TestPrintJobsScreen: p on the checkout receipt sends it to the branch's
// printer; F11 shows the printers with their status and the jobs with
// their states; with the desk printer out of paper, m sends a waiting job
// to the spare printer (which prints it), c cancels one (it never prints)
// and, the paper back, r tries one again at once.
func TestPrintJobsScreen(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{server: clienttest.Options{Printing: true}, w: 110, h: 30})
	pr := d.srv.Printers
	pr.Desk.SetPaperOut(true)

	d.lend("21000000000001", "B0001")
	d.waitFor("Receipt sent to printer desk (job 1)")
	d.key(tea.KeyF11)
	d.waitRefreshed("Print jobs (1)", "paper out", "waiting")

	// m: send it to the spare printer.
	d.runes("m")
	d.waitFor("Send job 1 to another printer", "Printers: spare")
	d.key(tea.KeyEnter)
	d.waitFor("Job 1 sent to spare.")
	got := waitJobs(t, pr.Spare, 1)[0].Page.Text()
	if !strings.Contains(got, "B0001") || !strings.Contains(got, "The Hobbit") {
		t.Errorf("the spare printer printed:\n%s", got)
	}
	d.waitRefreshed("done")

	// c: cancel a receipt waiting for paper.
	d.lend("21000000000001", "B0002")
	d.waitFor("Receipt sent to printer desk (job 2)")
	d.key(tea.KeyF11)
	d.waitRefreshed("Print jobs (2)", "waiting: offline, paper out")
	d.runes("c")
	d.waitFor("Job 2 cancelled.")
	d.waitRefreshed("cancelled")

	// r: the paper is back; the next receipt is tried again at once.
	d.lend("21000000000002", "E0001")
	d.waitFor("Receipt sent to printer desk (job 3)")
	d.key(tea.KeyF11)
	d.waitRefreshed("Print jobs (3)", "waiting: offline, paper out")
	pr.Desk.SetPaperOut(false)
	d.runes("r")
	d.waitFor("Job 3 tried again.")
	js := waitJobs(t, pr.Desk, 1)
	if txt := js[0].Page.Text(); !strings.Contains(txt, "E0001") || strings.Contains(txt, "B0002") {
		t.Errorf("the desk printer printed (want Bob's receipt, not the cancelled one):\n%s", txt)
	}
	d.waitRefreshed("Print jobs (3)")
	if n := len(pr.Desk.Jobs()) + len(pr.Spare.Jobs()); n != 2 {
		t.Errorf("%d jobs printed in all, want 2 (the cancelled one never)", n)
	}
}

// TestPrintJobsRefusals: a job that has finished cannot be cancelled, a
// job cannot go to a printer that does not exist, and without printers
// the screen says so.
func TestPrintJobsRefusals(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{server: clienttest.Options{Printing: true}, w: 110, h: 30})
	d.lend("21000000000001", "B0001")
	d.waitFor("Receipt sent to printer desk (job 1)")
	waitJobs(t, d.srv.Printers.Desk, 1)
	d.key(tea.KeyF11)
	d.waitRefreshed("done")
	d.runes("c")
	d.waitFor("That job is printing or has finished.")
	d.runes("m")
	d.waitFor("Send job 1 to another printer")
	d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlU})
	d.key(tea.KeyBackspace)
	for range "spare" {
		d.key(tea.KeyBackspace)
	}
	d.runes("attic")
	d.key(tea.KeyEnter)
	d.waitFor("There is no printer of that name.")

	bare := newDesk(t, "clerk", deskOpts{w: 110, h: 30})
	bare.key(tea.KeyF11)
	bare.waitFor("This appliance has no receipt printer")
	bare.key(tea.KeyF1)
	bare.lend("21000000000001", "B0001")
	bare.waitFor("Receipt not printed:")
}

// TestEventsScreenPrintsTicket: on the events screen (F8), tab moves to
// the registrations, ↓ chooses one and ^P prints its ticket, whose QR code
// carries the ticket's code; a waitlisted registration has no ticket.
func TestEventsScreenPrintsTicket(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{Printing: true})
	ev := events.NewService(srv.Service, events.Config{})
	start := srv.Clock.Now().Add(2 * time.Hour)
	e, err := ev.Create(srv.Admin, domain.NewEvent{Title: "Story time", LibraryID: "MAIN", Start: start.Format(time.RFC3339),
		End: start.Add(time.Hour).Format(time.RFC3339), Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	var tickets []string
	for _, name := range []string{"Alice", "Bob"} {
		r, err := ev.Register(srv.Admin, e.EventID, domain.EventRegistrationRequest{PatronID: srv.Patrons[name].PatronID}, "en")
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, r.Ticket)
	}
	d := newDeskOn(t, srv, "clerk", deskOpts{w: 100, h: 24})
	d.key(tea.KeyF8)
	d.waitFor("Story time", "waitlist 1")
	d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlP})
	d.waitFor("Choose a registration first")
	d.key(tea.KeyTab)
	d.waitFor("  ▸ Alice Archer")
	d.key(tea.KeyDown)
	d.waitFor("  ▸ Bob Baker")
	d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlP})
	d.waitFor("Ticket not printed:", "has no ticket")
	d.key(tea.KeyUp)
	d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlP})
	d.waitFor("Ticket of Alice Archer sent to printer desk (job 1).")
	js := waitJobs(t, srv.Printers.Desk, 1)
	var qr []string
	for _, b := range js[0].Page.Blocks {
		if b.Kind == emulator.QRCode {
			qr = append(qr, b.Text)
		}
	}
	if len(qr) != 1 || qr[0] != tickets[0] || !strings.Contains(js[0].Page.Text(), "Story time") {
		t.Errorf("ticket QR %q, want %q:\n%s", qr, tickets[0], js[0].Page.Text())
	}
	// The scan field still checks tickets in after the registrations had
	// the cursor.
	d.scan(tickets[0])
	d.waitFor("✓ checked in:")
}

// TestCheckinReturnReceipt: with a printer at the appliance, the checkin
// slip says it is printed there too, and ^P prints the return receipt of
// the patron of the last item returned.
func TestCheckinReturnReceipt(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{server: clienttest.Options{Printing: true}})
	d.key(tea.KeyF2)
	d.waitFor("Item barcode:")
	d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlP})
	d.waitFor("No return of a patron's loan to print a receipt for.")
	d.scan("D0001")
	d.waitFor("HOLD — put on the hold shelf", "(printed on desk too).")
	d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlP})
	d.waitFor("Return receipt of Alice Archer sent to printer desk (job 1).")
	txt := waitJobs(t, d.srv.Printers.Desk, 1)[0].Page.Text()
	if !strings.Contains(txt, "D0001") || !strings.Contains(txt, "Dune") {
		t.Errorf("return receipt:\n%s", txt)
	}
}

// TestPatronCardSlip: on a patron's profile (F3), ^P prints the welcome
// slip with the card's barcode (for a patron registered at the desk).
func TestPatronCardSlip(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{server: clienttest.Options{Printing: true}})
	d.key(tea.KeyF3)
	d.scan("21000000000003")
	d.waitFor("Carol Cooper")
	d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlP})
	d.waitFor("Card slip with the barcode sent to printer desk (job 1).")
	js := waitJobs(t, d.srv.Printers.Desk, 1)
	var bc []string
	for _, b := range js[0].Page.Blocks {
		if b.Kind == emulator.Barcode {
			bc = append(bc, b.Text)
		}
	}
	if len(bc) != 1 || bc[0] != "21000000000003" {
		t.Errorf("card slip barcodes %q:\n%s", bc, js[0].Page.Text())
	}
}
