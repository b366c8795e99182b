package domain

// Help requests (branch/help): a patron asks for help on a channel (a
// kiosk, the web, an app); staff claim, answer and close the request.
// These are the plain types the desk, the kiosk and the API client share.

// Help request statuses, in the order a request moves through them.
const (
	HelpOpen     = "open"
	HelpClaimed  = "claimed"
	HelpAnswered = "answered"
	HelpClosed   = "closed"
)

// Authors of a help message.
const (
	HelpFromStaff  = "staff"
	HelpFromPatron = "patron"
)

// HelpRequest is one request for help and its conversation.
type HelpRequest struct {
	RequestID string `json:"help_request_id"`
	// BranchID is the branch whose queue holds the request now: where it
	// was routed (RoutedBranch), or the branch that took it over.
	BranchID     string `json:"library_id"`
	RoutedBranch string `json:"routed_library_id"`
	Channel      string `json:"channel"`
	// Location is where a kiosk stands (its login and place), for a
	// request from a kiosk.
	Location string `json:"location,omitempty"`
	// PatronID is the patron who asked, if identified.
	PatronID  string `json:"patron_id,omitempty"`
	Message   string `json:"message"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
	// ClaimedBy is the staff login who holds the request, and ClaimedAt
	// when they claimed or took it over.
	ClaimedBy       string `json:"claimed_by,omitempty"`
	ClaimedAt       string `json:"claimed_at,omitempty"`
	FirstResponseAt string `json:"first_response_at,omitempty"`
	ClosedAt        string `json:"closed_at,omitempty"`
	ClosedBy        string `json:"closed_by,omitempty"`
	// Awaiting is who should write next: "staff" or "patron" ("" once
	// closed).
	Awaiting string        `json:"awaiting,omitempty"`
	Messages []HelpMessage `json:"messages"`
}

// HelpMessage is one answer (from staff) or reply (from the patron).
type HelpMessage struct {
	MessageID string `json:"message_id"`
	From      string `json:"from"`
	Author    string `json:"author,omitempty"`
	Text      string `json:"text"`
	At        string `json:"at"`
}

// HelpStat is the handling of help requests of one branch and channel:
// how many, and the seconds from asking to the first staff answer and to
// closing (mean and median over those answered or closed).
type HelpStat struct {
	BranchID               string  `json:"library_id"`
	Channel                string  `json:"channel"`
	Requests               int     `json:"requests"`
	Answered               int     `json:"answered"`
	Closed                 int     `json:"closed"`
	FirstResponseMeanSec   float64 `json:"first_response_mean_seconds"`
	FirstResponseMedianSec float64 `json:"first_response_median_seconds"`
	CloseMeanSec           float64 `json:"close_mean_seconds"`
	CloseMedianSec         float64 `json:"close_median_seconds"`
}
