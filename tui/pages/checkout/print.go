package checkout

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/node/apitype"
	"stacks/tui/format"
)

// ReceiptQueuedMsg is a receipt sent to the branch's printer, or why not.
type ReceiptQueuedMsg struct {
	Job *apitype.PrintJob
	Err error
}

// printReceipt asks the appliance to print the patron's receipt of
// today's loans here; it answers at once (the job goes to its spool).
func (m *Model) printReceipt(patronID string) tea.Cmd {
	if patronID == "" {
		m.setFlash("Receipt not printed: no patron.", true)
		return nil
	}
	api := m.api
	return func() tea.Msg {
		j, err := api.PrintReceipt(context.Background(), patronID, apitype.ReceiptRequest{Kind: apitype.ReceiptCheckout})
		return ReceiptQueuedMsg{Job: j, Err: err}
	}
}

func (m *Model) receiptQueued(msg ReceiptQueuedMsg) {
	if msg.Err != nil {
		m.setFlash("Receipt not printed: "+format.Err(msg.Err), true)
		return
	}
	m.setFlash(fmt.Sprintf("Receipt sent to printer %s (job %d); F11 shows print jobs.", msg.Job.Printer, msg.Job.ID), false)
}
