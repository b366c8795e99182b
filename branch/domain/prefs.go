package domain

import (
	"encoding/csv"
	"io"
)

// Notices a patron may choose to receive.
const (
	NoticeHoldReady = "hold_ready"
	NoticePreDue    = "pre_due"
	NoticeOverdue   = "overdue"
	NoticeEvents    = "event_reminder"
	// NoticeReadingList is the monthly personal reading list: new arrivals
	// like what the patron borrowed. Off until the patron opts in.
	NoticeReadingList = "reading_list"
)

// Notices are every notice a patron may choose, in the order shown.
var Notices = []string{NoticeHoldReady, NoticePreDue, NoticeOverdue, NoticeEvents, NoticeReadingList}

// MessagingPrefs is how a patron wants to be told things.
type MessagingPrefs struct {
	// Notices are the notices wanted (see Notices).
	Notices []string `json:"notices"`
	// Channel is "email" or "sms".
	Channel string `json:"channel"`
	// Digest: one message a day with everything, instead of one each.
	Digest bool `json:"digest"`
	// DaysInAdvance is how many days before the due date the pre-due
	// notice comes (0 to 14).
	DaysInAdvance int `json:"days_in_advance"`
}

// DefaultMessagingPrefs are a patron's preferences until they choose.
func DefaultMessagingPrefs() MessagingPrefs {
	return MessagingPrefs{Notices: []string{NoticeHoldReady, NoticePreDue, NoticeOverdue}, Channel: "email", DaysInAdvance: 3}
}

// ReadingHistory is a patron's reading history: off until they turn it on,
// then the loans returned since, less those they deleted.
type ReadingHistory struct {
	Enabled bool `json:"enabled"`
	// Since is when it was turned on; empty when off.
	Since   string          `json:"since,omitempty"`
	Entries []*ReadingEntry `json:"entries"`
}

// ReadingEntry is one title read.
type ReadingEntry struct {
	CheckoutID string `json:"checkout_id"`
	ItemID     string `json:"item_id"`
	Barcode    string `json:"barcode"`
	Title      string `json:"title"`
	IssuedAt   string `json:"checkout_date"`
	ReturnedAt string `json:"checkin_date"`
}

// WriteReadingCSV writes entries as CSV with a header row; a title that a
// spreadsheet would read as a formula is quoted with a leading '.
func WriteReadingCSV(w io.Writer, entries []*ReadingEntry) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"title", "barcode", "checkout_date", "checkin_date", "checkout_id"})
	for _, e := range entries {
		cw.Write([]string{csvSafe(e.Title), e.Barcode, e.IssuedAt, e.ReturnedAt, e.CheckoutID})
	}
	cw.Flush()
	return cw.Error()
}

func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
