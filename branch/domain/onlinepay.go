package domain

// Online payment statuses. An attempt starts, is pending once the
// provider has it, and ends paid, declined or cancelled.
const (
	OnlineStarted   = "started"
	OnlinePending   = "pending"
	OnlinePaid      = "paid"
	OnlineDeclined  = "declined"
	OnlineCancelled = "cancelled"
)

// FeeAmount is part of an online payment: how much of one fee it pays.
type FeeAmount struct {
	FeeID       string `json:"fee_id"`
	AmountCents int64  `json:"amount_cents"`
}

// OnlinePayment is one attempt to pay fees online with a card payment
// provider, keyed by its idempotency key.
type OnlinePayment struct {
	Key         string      `json:"key"`
	PatronID    string      `json:"patron_id"`
	Fees        []FeeAmount `json:"fees"`
	AmountCents int64       `json:"amount_cents"`
	Status      string      `json:"status"`
	ProviderID  string      `json:"provider_id,omitempty"`
	CheckoutURL string      `json:"checkout_url,omitempty"`
	CreatedAt   string      `json:"created_at"`
	UpdatedAt   string      `json:"updated_at"`
}

// Final reports whether the attempt has ended.
func (p *OnlinePayment) Final() bool {
	return p.Status == OnlinePaid || p.Status == OnlineDeclined || p.Status == OnlineCancelled
}
