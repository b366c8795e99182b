package apitype

import "stacks/branch/domain"

// PatronNotices is a patron's notices, newest first, and their contacts
// flagged for staff (GET /api/v1/patrons/{id}/notices).
type PatronNotices struct {
	Notices      []domain.Notice      `json:"notices"`
	ContactFlags []domain.ContactFlag `json:"contact_flags"`
}
