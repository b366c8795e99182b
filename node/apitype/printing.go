package apitype

import "time"

// PrintJob is a job of the branch's print spool.
type PrintJob struct {
	ID      int64  `json:"id"`
	Printer string `json:"printer"`
	// Kind is checkout, checkin, payment, hold, transit, welcome, ticket
	// or handoff.
	Kind  string `json:"kind"`
	Title string `json:"title"`
	// State is queued, printing, waiting, done, failed or cancelled;
	// Detail says why a job waits ("paper out", "offline: no answer").
	State     string    `json:"state"`
	Detail    string    `json:"detail,omitempty"`
	Attempts  int       `json:"attempts"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Printer is a receipt printer of the branch and its last known status.
type Printer struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Status is "online", "paper out", "offline: no answer"... as last
	// seen; Ready says it printed or answered ready then.
	Status string    `json:"status"`
	Ready  bool      `json:"ready"`
	Seen   time.Time `json:"seen,omitzero"`
	Queued int       `json:"queued"`
}

// PrintMove is the body of moving a job to another printer.
type PrintMove struct {
	Printer string `json:"printer"`
}

// Receipt kinds a patron's receipt request may ask for.
const (
	ReceiptCheckout = "checkout" // today's loans at this branch
	ReceiptCheckin  = "checkin"  // today's returns at this branch
	ReceiptWelcome  = "welcome"  // the card's barcode
	ReceiptHandoff  = "handoff"  // a fresh handoff code (intent) with its QR
	ReceiptTicket   = "ticket"   // an event ticket (registration_id) with its QR
)

// ReceiptRequest is the optional body of POST /patrons/{id}/receipt.
type ReceiptRequest struct {
	// Kind is one of the Receipt kinds; "" is checkout.
	Kind string `json:"kind,omitempty"`
	// Printer is the printer's name; "" is the branch's default.
	Printer string `json:"printer,omitempty"`
	// Intent is the handoff's intent (kind handoff).
	Intent string `json:"intent,omitempty"`
	// RegistrationID is the event registration whose ticket to print
	// (kind ticket); it must be the patron's.
	RegistrationID string `json:"registration_id,omitempty"`
}
