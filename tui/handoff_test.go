package tui_test

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/node/client"
)

// TestCheckoutHandoffCode: a patron makes a "pick up my ready holds" code
// in an app; the clerk types it in the card field and the ready hold is
// checked out at once; the same code again is refused in plain words.
func TestCheckoutHandoffCode(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{})
	s := d.srv.Service
	bob := d.srv.Patrons["Bob"] // his hold on Moby Dick is ready at MAIN
	c, err := client.New(client.Config{BaseURL: d.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	app, _, err := c.PatronLogin(context.Background(), bob.Cardnumber, "1234")
	if err != nil {
		t.Fatal(err)
	}
	code, err := app.IssueHandoff(context.Background(), "pickup_holds")
	if err != nil {
		t.Fatal(err)
	}
	d.scan(code.Code)
	d.waitFor("Bob Baker", "Handoff code: 1 ready hold(s) checked out.", "M0001", "Moby Dick")
	loan, err := s.OpenLoan(context.Background(), d.srv.Items["M0001"].ItemID)
	if err != nil || loan.PatronID != bob.PatronID {
		t.Fatalf("Moby Dick not lent to Bob: %+v %v", loan, err)
	}
	d.key(tea.KeyEsc)
	d.key(tea.KeyEnter)
	d.scan(code.QR)
	d.waitFor("This handoff code has already been used.")
}
