package tui_test

import (
	"context"
	"fmt"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/notices"
)

type failEmail struct{}

func (failEmail) Send(_ context.Context, m notices.Message) error {
	if m.Channel == notices.ChannelEmail {
		return fmt.Errorf("550 mailbox unavailable: %w", notices.ErrPermanent)
	}
	return nil
}

// TestPatronNotices: a patron's notices in the profile's Notices tab, the
// contact the relay refused flagged for staff (the notices went by SMS), and resend (refused here:
// this appliance has no channel to send through, and says so).
func TestPatronNotices(t *testing.T) {
	d := newDesk(t, "super", deskOpts{})
	e := notices.New(d.srv.Service, notices.Config{Node: "other", Sender: failEmail{}})
	if _, err := e.Step(d.srv.Admin); err != nil {
		t.Fatal(err)
	}
	d.key(tea.KeyF3)
	d.scan("21000000000001")
	d.waitFor("Alice Archer", "Notices (4)", "CHECK CONTACT: email alice@example.org failed")
	d.runes("s") // to the Notices tab
	d.waitFor("overdue_2", "email  failed", "sms    sent")
	d.runes("s")
	d.waitFor("no email or SMS channel is configured here")
}
