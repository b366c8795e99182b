package domain

// CalendarDay is one day of a branch's calendar.
type CalendarDay struct {
	Date   string `json:"date"`
	Open   bool   `json:"open"`
	Opens  string `json:"opens,omitempty"`
	Closes string `json:"closes,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Calendar is a branch's weekly hours and its days from..to (at most a year).
type Calendar struct {
	BranchID string         `json:"library_id"`
	Hours    []OpeningHours `json:"opening_hours"`
	Days     []CalendarDay  `json:"days"`
}
