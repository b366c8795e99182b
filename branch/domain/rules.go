package domain

import "strings"

// DefaultRule applies where the matrix has no matching cell.
var DefaultRule = Rule{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 21, Renewals: 2, MaxLoans: 30,
	FineCents: 25, GraceDays: 0, MaxFineCents: 1000, HoldsAllowed: true}

// Validate checks a rule of the matrix before it is set.
func (r Rule) Validate() error {
	for _, v := range []string{r.BranchID, r.Category, r.ItemType} {
		if v == "" || len(v) > 32 || strings.ContainsAny(v, " \t\n") {
			return Invalid("A rule needs a library, a category and an item type (or '*').")
		}
	}
	switch {
	case r.LoanDays < 0 || r.LoanDays > 3650:
		return Invalid("Loan period must be 0 to 3650 days (0 means not for loan).")
	case r.Renewals < 0 || r.Renewals > 100:
		return Invalid("Renewals must be 0 to 100.")
	case r.MaxLoans < 0 || r.MaxLoans > 10000:
		return Invalid("Maximum loans must be 0 to 10000.")
	case r.FineCents < 0 || r.MaxFineCents < 0 || r.FineCents > 1_000_00 || r.MaxFineCents > 1_000_000_00:
		return Invalid("Fines must be between 0 and a sane maximum.")
	case r.GraceDays < 0 || r.GraceDays > 365:
		return Invalid("Grace days must be 0 to 365.")
	}
	return nil
}
