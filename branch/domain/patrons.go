package domain

import (
	"fmt"
	"strings"
	"time"
)

// NewPatron is what registration needs. An empty Cardnumber gets a new one;
// an empty ExpiryDate gets the category's enrolment period.
type NewPatron struct {
	Cardnumber  string `json:"cardnumber"`
	Firstname   string `json:"firstname"`
	Surname     string `json:"surname"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	Address     string `json:"address"`
	DateOfBirth string `json:"date_of_birth"`
	HomeBranch  string `json:"library_id"`
	Category    string `json:"category_id"`
	PIN         string `json:"pin"`
	ExpiryDate  string `json:"expiry_date"`
	// PINHash, if set, is stored instead of hashing PIN (bulk imports).
	PINHash string `json:"-"`
	// Language is the patron's language preference; empty leaves it unset.
	Language string `json:"lang,omitempty"`
	// SelfRegistered is a patron registering themselves (on the web): the
	// category is CategorySelfRegistered, and a patron with the same name
	// and birth date, or the same email, is refused as a duplicate.
	SelfRegistered bool `json:"-"`
}

// CategorySelfRegistered is the patron category of patrons who registered
// themselves and are not yet verified by staff; its rules in the matrix
// are their limits until then. A library that offers self-registration
// defines it.
const CategorySelfRegistered = "SELF"

// PatronUpdate changes the fields that are set.
type PatronUpdate struct {
	Firstname   *string `json:"firstname"`
	Surname     *string `json:"surname"`
	Email       *string `json:"email"`
	Phone       *string `json:"phone"`
	Address     *string `json:"address"`
	DateOfBirth *string `json:"date_of_birth"`
	HomeBranch  *string `json:"library_id"`
	Category    *string `json:"category_id"`
	ExpiryDate  *string `json:"expiry_date"`
	PIN         *string `json:"pin"`
	// Language is the patron's language preference (see Languages).
	Language *string `json:"lang"`
}

// Languages are the languages a patron may choose for what they read.
var Languages = []string{"en", "fi"}

func CheckText(what, v string, max int) error {
	if len(v) > max {
		return Invalid("%s is too long (at most %d characters).", what, max)
	}
	if strings.ContainsAny(v, "\x00\r\n") {
		return Invalid("%s may not contain control characters.", what)
	}
	return nil
}

// PIN lockout: after MaxPINFailures wrong PINs in a row, on any channel
// and any node, the card is locked for PINLockout.
const (
	MaxPINFailures = 5
	PINLockout     = 30 * time.Minute
)

// PatronStatus is everything the desk or a kiosk shows about a patron.
type PatronStatus struct {
	Patron       *Patron  `json:"patron"`
	Loans        int      `json:"checkouts"`
	Overdue      int      `json:"overdue"`
	HoldsReady   int      `json:"holds_ready"`
	HoldsWaiting int      `json:"holds_waiting"`
	BalanceCents int64    `json:"balance_cents"`
	MaxFineCents int64    `json:"max_fine_cents"`
	Expired      bool     `json:"expired"`
	CanBorrow    bool     `json:"can_borrow"`
	Blocks       []string `json:"blocks"`
}

// Money formats cents as an amount, e.g. 1250 -> "12.50".
func Money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
