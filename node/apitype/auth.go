package apitype

import (
	"time"

	"stacks/branch/domain"
)

// LoginRequest is POST /api/v1/auth/login: a staff username and password.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Session answers a staff login: a token valid on every node that shares
// the cluster key, until ExpiresAt.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Role      string    `json:"role"`
	Username  string    `json:"username,omitempty"`
	Branch    string    `json:"library_id,omitempty"`
}

// PatronLoginRequest is POST /api/v1/auth/patron: a card number and PIN.
type PatronLoginRequest struct {
	Cardnumber string `json:"cardnumber"`
	PIN        string `json:"pin"`
}

// PatronSession answers a patron login: the patron, and a session token
// for their account.
type PatronSession struct {
	*domain.Patron
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Me is who a request's credentials name (GET /api/v1/auth/me), with what
// the role may do.
type Me struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Channel  string `json:"channel"`
	Branch   string `json:"library_id"`
	// PatronID is set for a patron's session.
	PatronID string `json:"patron_id,omitempty"`
	// Permissions are what the login's role may do, as the node says.
	Permissions []domain.Permission `json:"permissions"`
}

// CanOverride reports whether the login may override rule refusals.
func (m Me) CanOverride() bool { return m.Can(domain.PermOverride) }

// Can reports whether the login may do what perm names.
func (m Me) Can(perm domain.Permission) bool {
	for _, p := range m.Permissions {
		if p == perm {
			return true
		}
	}
	return false
}
