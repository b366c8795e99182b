package domain

// Resolution actions.
const (
	// ActionAcknowledge closes a conflict with a note and changes nothing else.
	ActionAcknowledge = "acknowledge"
	// ActionKeepLoan closes every other open loan of a double loan.
	ActionKeepLoan = "keep_loan"
	// ActionNewCard gives one of the patrons sharing a card a new card number.
	ActionNewCard = "new_card"
	// ActionRefund refunds the overpaid part of a fee.
	ActionRefund = "refund"
)

// Resolution is what staff decide about a conflict.
type Resolution struct {
	Action   string `json:"action"`
	Note     string `json:"note"`
	LoanID   string `json:"checkout_id,omitempty"` // keep_loan: the loan that stands
	PatronID string `json:"patron_id,omitempty"`   // new_card: who gets a new card
	Method   string `json:"payment_type,omitempty"`
}
