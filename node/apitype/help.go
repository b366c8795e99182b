package apitype

// Help requests (branch/help, /api/v1/help_requests).

// NewHelpRequest asks for help (POST /api/v1/help_requests). A patron
// sends it with their token (channel web, app or api); a kiosk with its
// login, the patron's card number if they showed it (none: anonymous),
// and where it stands.
type NewHelpRequest struct {
	Message    string `json:"message"`
	Channel    string `json:"channel,omitempty"`
	Cardnumber string `json:"cardnumber,omitempty"`
	Location   string `json:"location,omitempty"`
}

// HelpRequestCreated answers a new request.
type HelpRequestCreated struct {
	RequestID string `json:"help_request_id"`
	BranchID  string `json:"library_id"`
	Status    string `json:"status"`
}

// HelpText is an answer (staff) or a reply (the patron or kiosk that
// asked).
type HelpText struct {
	Text string `json:"text"`
}
