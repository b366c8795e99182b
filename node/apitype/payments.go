package apitype

// PatronPaymentRequest is POST /api/v1/patron/payments (with an
// Idempotency-Key header): the charges to pay by charge ID, or every
// outstanding one when empty, and where the provider sends the patron back
// after paying (an absolute http(s) URL; empty: the node's account page).
type PatronPaymentRequest struct {
	ChargeIDs []string `json:"charge_ids"`
	ReturnURL string   `json:"return_url,omitempty"`
}

// PatronPayment is an online payment of the patron's: its ID (the
// Idempotency-Key it was started with), its status (started, pending,
// paid, declined, cancelled), the amount, the charges it pays, and while
// it is pending the provider's page to send the patron to.
type PatronPayment struct {
	ID          string                `json:"id"`
	Status      string                `json:"status"`
	Amount      Money                 `json:"amount"`
	Charges     []PatronPaymentCharge `json:"charges"`
	RedirectURL string                `json:"redirect_url,omitempty"`
	CreatedAt   string                `json:"created_at"`
	UpdatedAt   string                `json:"updated_at"`
}

// PatronPaymentCharge is how much of one charge a payment pays.
type PatronPaymentCharge struct {
	ChargeID string `json:"charge_id"`
	Amount   Money  `json:"amount"`
}
