package domain

// PaymentRequest pays part or all of a patron's balance, or one fee.
type PaymentRequest struct {
	AmountCents int64  `json:"amount_cents"`
	Method      string `json:"payment_type"`
	FeeID       string `json:"account_line_id,omitempty"`
	Reason      string `json:"reason,omitempty"` // waivers only
}

// ChargeRequest is a manual charge by staff.
type ChargeRequest struct {
	AmountCents int64  `json:"amount_cents"`
	Kind        string `json:"type"`
	Description string `json:"description"`
}
