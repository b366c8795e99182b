package apitype

// ErasureRequest is the body of POST /api/v1/patrons/{id}/erasure.
type ErasureRequest struct {
	Reason string `json:"reason"`
}

// Erasure answers an erasure: the patron and when the tombstone was made.
type Erasure struct {
	PatronID string `json:"patron_id"`
	ErasedAt string `json:"erased_at"`
}

// Retention is how long loan history is kept for a patron category
// (mode at_return, after_days or keep), as GET and PUT
// /api/v1/privacy/retention name it.
type Retention struct {
	Category string `json:"category"`
	Mode     string `json:"mode"`
	Days     int    `json:"days,omitempty"`
}

// PrivacySummary is what a patron is told of what is kept about them
// (GET /api/v1/patron/privacy): how long their loan history is kept, and
// whether they keep their reading history themselves.
type PrivacySummary struct {
	Retention      Retention `json:"retention"`
	ReadingHistory bool      `json:"reading_history"`
	Since          string    `json:"reading_history_since,omitempty"`
}
