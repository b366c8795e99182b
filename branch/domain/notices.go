package domain

import "strings"

// The notice engine's records as staff and clients see them
// (branch/notices keeps them; these plain types link no storage).

// Notice is a notice as staff see it: its key, what it is, through
// which channel, and what became of it.
type Notice struct {
	Key        string `json:"key"`
	Kind       string `json:"kind"`
	PatronID   string `json:"patron_id"`
	Channel    string `json:"channel"`
	BranchID   string `json:"library_id"`
	Occurrence string `json:"occurrence,omitempty"`
	Status     string `json:"status"`
	Reason     string `json:"reason,omitempty"`
	Attempts   int    `json:"attempts"`
	ClaimedBy  string `json:"claimed_by"`
	ClaimedAt  string `json:"claimed_at"`
	StatusAt   string `json:"status_at,omitempty"`
	Digest     string `json:"digest,omitempty"`
	FallbackOf string `json:"fallback_of,omitempty"`
	ResendOf   string `json:"resend_of,omitempty"`
	OpenedAt   string `json:"opened_at,omitempty"`
	ClickedAt  string `json:"clicked_at,omitempty"`
	BouncedAt  string `json:"bounced_at,omitempty"`
}

// ContactFlag is a patron's contact that failed for good or bounced.
type ContactFlag struct {
	Channel   string `json:"channel"`
	Address   string `json:"address"`
	Reason    string `json:"reason"`
	FlaggedAt string `json:"flagged_at"`
}

// OverdueRule is one level of the overdue notices of a branch and patron
// category ('*' for any), as Koha's overdue rules: the delay in days after
// the due date (library days: calendar dates in the library's time zone),
// the template node/notify renders, and whether the patron is blocked
// until the overdue items are back.
type OverdueRule struct {
	BranchID  string `json:"library_id"`
	Category  string `json:"category_id"`
	Level     int    `json:"level"` // 1, 2 or 3
	DelayDays int    `json:"delay_days"`
	Template  string `json:"template,omitempty"`
	Block     bool   `json:"block"`
	// OpenDays counts DelayDays in days the loan's branch is open (its
	// opening hours and closed days); false: calendar days.
	OpenDays bool `json:"open_days,omitempty"`
}

// Check validates a rule.
func (r *OverdueRule) Check() error {
	r.BranchID, r.Category = strings.TrimSpace(r.BranchID), strings.TrimSpace(r.Category)
	switch {
	case r.BranchID == "" || r.Category == "":
		return Invalid("An overdue rule needs a library_id and a category_id ('*' for any).")
	case r.Level < 1 || r.Level > 3:
		return Invalid("An overdue rule's level is 1, 2 or 3.")
	case r.DelayDays < 0 || r.DelayDays > 365:
		return Invalid("An overdue rule's delay is 0 to 365 days after the due date.")
	case len(r.Template) > 100:
		return Invalid("An overdue rule's template name is at most 100 characters.")
	}
	return nil
}
