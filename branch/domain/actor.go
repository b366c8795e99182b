package domain

import (
	"context"
	"time"
)

// Channel is how a change reached the system.
type Channel string

// The channels of the omnichannel library.
const (
	ChannelDesk  Channel = "desk"
	ChannelKiosk Channel = "kiosk"
	ChannelWeb   Channel = "web"
	ChannelAPI   Channel = "api"
	// ChannelApp is a patron's app or discovery layer, through the patron
	// API (/api/v1/patron/...).
	ChannelApp   Channel = "app"
	ChannelEmail Channel = "email"
	ChannelSync  Channel = "sync-import"
)

// Staff roles.
const (
	RoleCirculation = "circulation"
	RoleSupervisor  = "supervisor"
	RoleAdmin       = "admin"
	RoleCentralIT   = "central-it"
	RoleKiosk       = "kiosk"
	RolePatron      = "patron"
)

// Actor is who is acting: a staff login, a kiosk or a patron, and through
// which channel.
type Actor struct {
	ID      string
	Role    string
	Channel Channel
}

// CanOverride reports whether the actor may override rule refusals.
func (a Actor) CanOverride() bool { return a.Role == RoleSupervisor || a.Role == RoleAdmin }

type actorKey struct{}

// WithActor returns a context carrying who is acting.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or an anonymous API actor.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{ID: "system", Channel: ChannelAPI}
}

const (
	DateLayout = "2006-01-02"
	// timeLayout is how instants are stored: UTC, fixed width, so they sort.
	TimeLayout = "2006-01-02T15:04:05.000Z"
)

// ParseDate parses a YYYY-MM-DD date, refusing absurd years.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, Invalid("%q is not a date (want YYYY-MM-DD)", s)
	}
	if d.Year() < 1900 || d.Year() > 2200 {
		return time.Time{}, Invalid("date %s is out of range", s)
	}
	return d, nil
}
