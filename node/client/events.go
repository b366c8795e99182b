package client

import (
	"context"
	"net/url"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// Events and programmes (/api/v1/events).

// EventFilter selects events to list; from and to are dates
// (2006-01-02) or RFC 3339 times.
type EventFilter struct {
	LibraryID, Audience, From, To string
}

// Events lists events.
func (c *Client) Events(ctx context.Context, f EventFilter) ([]*domain.Event, error) {
	q := url.Values{}
	for k, v := range map[string]string{"library_id": f.LibraryID, "audience": f.Audience, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var es []*domain.Event
	return es, c.do(ctx, "GET", pathOf("events"), q, nil, &es)
}

// Event is one event with its seats and attendance.
func (c *Client) Event(ctx context.Context, id string) (*domain.Event, error) {
	var e domain.Event
	return &e, c.do(ctx, "GET", pathOf("events", id), nil, nil, &e)
}

// CreateEvent creates an event.
func (c *Client) CreateEvent(ctx context.Context, ne domain.NewEvent) (*domain.Event, error) {
	var e domain.Event
	return &e, c.do(ctx, "POST", pathOf("events"), nil, ne, &e)
}

// EditEvent changes an event.
func (c *Client) EditEvent(ctx context.Context, id string, ne domain.NewEvent) (*domain.Event, error) {
	var e domain.Event
	return &e, c.do(ctx, "PUT", pathOf("events", id), nil, ne, &e)
}

// CancelEvent cancels an event.
func (c *Client) CancelEvent(ctx context.Context, id string) (*domain.Event, error) {
	var e domain.Event
	return &e, c.do(ctx, "DELETE", pathOf("events", id), nil, nil, &e)
}

// EventRegistrations lists an event's registrations and waitlist.
func (c *Client) EventRegistrations(ctx context.Context, eventID string) ([]*domain.EventRegistration, error) {
	var rs []*domain.EventRegistration
	return rs, c.do(ctx, "GET", pathOf("events", eventID, "registrations"), nil, nil, &rs)
}

// RegisterForEvent registers a patron (and guests): registered or waitlisted.
func (c *Client) RegisterForEvent(ctx context.Context, eventID string, req domain.EventRegistrationRequest) (*domain.EventRegistration, error) {
	var r domain.EventRegistration
	return &r, c.do(ctx, "POST", pathOf("events", eventID, "registrations"), nil, req, &r)
}

// CancelEventRegistration cancels a registration.
func (c *Client) CancelEventRegistration(ctx context.Context, eventID, registrationID string) (*domain.EventRegistration, error) {
	var r domain.EventRegistration
	return &r, c.do(ctx, "DELETE", pathOf("events", eventID, "registrations", registrationID), nil, nil, &r)
}

// CheckinTicket checks a ticket in, for eventID or ("") whichever event it
// is for; Already says it had been checked in before.
func (c *Client) CheckinTicket(ctx context.Context, eventID, ticket string) (*domain.EventCheckin, error) {
	var ck domain.EventCheckin
	p := pathOf("event_checkins")
	if eventID != "" {
		p = pathOf("events", eventID, "checkins")
	}
	return &ck, c.do(ctx, "POST", p, nil, apitype.EventCheckinRequest{Ticket: ticket}, &ck)
}

// MyEventRegistrations are the logged-in patron's registrations and tickets.
func (c *Client) MyEventRegistrations(ctx context.Context) ([]*domain.EventRegistration, error) {
	var rs []*domain.EventRegistration
	return rs, c.do(ctx, "GET", pathOf("patron", "event_registrations"), nil, nil, &rs)
}

// RegisterMe registers the logged-in patron (and guests) for an event.
func (c *Client) RegisterMe(ctx context.Context, req apitype.PatronEventRegistration) (*domain.EventRegistration, error) {
	var r domain.EventRegistration
	return &r, c.do(ctx, "POST", pathOf("patron", "event_registrations"), nil, req, &r)
}

// CancelMyEventRegistration cancels one of the patron's registrations.
func (c *Client) CancelMyEventRegistration(ctx context.Context, id string) (*domain.EventRegistration, error) {
	var r domain.EventRegistration
	return &r, c.do(ctx, "DELETE", pathOf("patron", "event_registrations", id), nil, nil, &r)
}
