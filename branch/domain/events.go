package domain

// Events and programmes (branch/events): the types clients share. A seat
// is confirmed only from a node's own share of the event's capacity (see
// the README's "Event seats"), so a registration is either registered or
// waitlisted, and a waitlisted one is promoted in (HLC, origin) order.

// Registration statuses.
const (
	EventRegistered = "registered"
	EventWaitlisted = "waitlisted"
	EventCancelled  = "cancelled"
)

// MaxEventParty bounds a registration's seats (the patron and the people
// coming with them).
const MaxEventParty = 10

// Event is an event or programme at a branch.
type Event struct {
	EventID     string `json:"event_id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Audience    string `json:"audience,omitempty"` // e.g. children, teens, adults, all
	LibraryID   string `json:"library_id"`
	Room        string `json:"room,omitempty"`
	Start       string `json:"start"` // RFC 3339
	End         string `json:"end"`
	Capacity    int    `json:"capacity"`
	// RegistrationOpens and RegistrationCloses bound when patrons may
	// register (RFC 3339; empty: from now, until the start).
	RegistrationOpens  string `json:"registration_opens,omitempty"`
	RegistrationCloses string `json:"registration_closes,omitempty"`
	// DropIn: no registration or ticket; patrons just come.
	DropIn    bool   `json:"drop_in,omitempty"`
	Cancelled bool   `json:"cancelled,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
	// Counts as this node knows them.
	SeatsTaken int `json:"seats_taken"` // seats of registered registrations
	SeatsFree  int `json:"seats_free"`  // capacity minus seats taken
	SeatsHere  int `json:"seats_here"`  // seats this node may confirm from its own share
	Waitlisted int `json:"waitlisted"`  // registrations waiting
	CheckedIn  int `json:"checked_in"`  // registrations checked in
	Attendance int `json:"attendance"`  // people checked in (parties)
}

// NewEvent is what staff give to create or edit an event.
type NewEvent struct {
	Title              string `json:"title"`
	Description        string `json:"description,omitempty"`
	Audience           string `json:"audience,omitempty"`
	LibraryID          string `json:"library_id"`
	Room               string `json:"room,omitempty"`
	Start              string `json:"start"`
	End                string `json:"end"`
	Capacity           int    `json:"capacity"`
	RegistrationOpens  string `json:"registration_opens,omitempty"`
	RegistrationCloses string `json:"registration_closes,omitempty"`
	DropIn             bool   `json:"drop_in,omitempty"`
}

// EventRegistrationRequest registers a patron, with family members or
// guests: named in Guests, or only counted in GuestCount.
type EventRegistrationRequest struct {
	PatronID   string   `json:"patron_id"`
	Cardnumber string   `json:"cardnumber,omitempty"`
	Guests     []string `json:"guests,omitempty"`
	GuestCount int      `json:"guest_count,omitempty"`
}

// EventRegistration is one patron's registration (with their party).
type EventRegistration struct {
	RegistrationID string   `json:"registration_id"`
	EventID        string   `json:"event_id"`
	PatronID       string   `json:"patron_id"`
	PatronName     string   `json:"patron_name,omitempty"`
	Seats          int      `json:"seats"`
	Guests         []string `json:"guests,omitempty"`
	Status         string   `json:"status"` // registered, waitlisted or cancelled
	// Position is the place in the waitlist (1 first), when waitlisted.
	Position   int    `json:"position,omitempty"`
	Ticket     string `json:"ticket,omitempty"`
	CreatedAt  string `json:"created_at"`
	Channel    string `json:"channel,omitempty"`
	CheckedIn  string `json:"checked_in_at,omitempty"`
	CanceledAt string `json:"cancelled_at,omitempty"`
	// Message tells the patron what the status means (in their language),
	// e.g. that a waitlisted event may not be full.
	Message string `json:"message,omitempty"`
	Event   *Event `json:"event,omitempty"`
}

// EventCheckin is the answer to scanning a ticket.
type EventCheckin struct {
	Registration *EventRegistration `json:"registration"`
	// Already: the ticket had been checked in before; counted once.
	Already bool `json:"already_checked_in"`
}

// EventFilter selects events to list.
type EventFilter struct {
	LibraryID string
	Audience  string
	From, To  string // RFC 3339 bounds on the start; empty: unbounded
	Cancelled bool   // include cancelled events
}
