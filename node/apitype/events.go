package apitype

// EventCheckinRequest is an event ticket scanned (POST
// /api/v1/events/{id}/checkins, POST /api/v1/event_checkins).
type EventCheckinRequest struct {
	Ticket string `json:"ticket"`
}

// PatronEventRegistration is a patron registering themselves (and the
// people coming with them) through the patron API.
type PatronEventRegistration struct {
	EventID    string   `json:"event_id"`
	Guests     []string `json:"guests,omitempty"`
	GuestCount int      `json:"guest_count,omitempty"`
}
