package domain

import "encoding/json"

// Conflict kinds. A conflict is derived from the merged state and the
// resolution ops alone, so every replica holding the same ops lists the same
// conflicts with the same IDs and content, whatever order the ops came in.
const (
	// ConflictDoubleLoan: two checkouts of one item, neither aware of the other.
	ConflictDoubleLoan = "double_loan"
	// ConflictDuplicateCard: two patrons registered with one card number.
	ConflictDuplicateCard = "duplicate_card"
	// ConflictLoanLimit: a patron over the loan limit once branches merged.
	ConflictLoanLimit = "loan_limit"
	// ConflictOverpayment: one fee paid more than once (e.g. desk and web).
	ConflictOverpayment = "overpayment"
	// ConflictDoubleTrap: two items trapped for one hold; the earlier trap won.
	ConflictDoubleTrap = "double_trap"
)

// Conflict is an entry of the conflicts queue.
type Conflict struct {
	ConflictID string          `json:"conflict_id"`
	Kind       string          `json:"kind"`
	Args       []string        `json:"subject"`
	Details    json.RawMessage `json:"details"`
	Status     string          `json:"status"`
	Resolution json.RawMessage `json:"resolution,omitempty"`
	Summary    string          `json:"summary"`
	// Patrons are the patrons the details name, as staff need them to
	// choose a resolution; set by NameConflictPatrons (the API's answers),
	// not by Conflicts, whose output stays what the replicas agree on.
	Patrons []ConflictPatron `json:"patrons,omitempty"`
}

// ConflictPatron is a patron a conflict names.
type ConflictPatron struct {
	PatronID   string `json:"patron_id"`
	Name       string `json:"name"`
	Cardnumber string `json:"cardnumber"`
	HomeBranch string `json:"home_library_id"`
}
