package branch

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"stacks/branch/domain"
)

// Self-registration: a patron registers on the web and gets a card at
// once, in the category CategorySelfRegistered, whose rules in the matrix
// are their limits until staff verify them (a patron.set op moving them to
// a category of the library's). Rejecting one is blocking the card.

// checkSelfDuplicate refuses a self-registration that needs what a
// registration at the desk would check by eye: a name, a birth date and a
// way to reach the patron; and one that looks like a patron already known
// (the same name and birth date, or the same email). The refusal names no
// one.
func checkSelfDuplicate(ctx context.Context, q querier, np domain.NewPatron) error {
	if np.Firstname == "" || np.DateOfBirth == "" || (np.Email == "" && np.Phone == "") {
		return domain.Invalid("Self-registration needs a first name, a surname, a birth date and an email address or phone number.")
	}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM patrons WHERE registered_at<>'' AND
		((lower(firstname)=lower(?) AND lower(surname)=lower(?) AND date_of_birth=?) OR (? <> '' AND lower(email)=lower(?))) LIMIT 1`,
		np.Firstname, np.Surname, np.DateOfBirth, np.Email, strings.TrimSpace(np.Email)).Scan(&one)
	if err == nil {
		return domain.Fail(domain.CodeDuplicatePatron, "A patron with this name and birth date, or this email, is already registered.")
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// UnverifiedPatrons are the self-registered patrons staff have not yet
// verified or rejected (blocked), oldest first.
func (s *Service) UnverifiedPatrons(ctx context.Context, limit int) ([]*domain.Patron, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+patronCols+` FROM patrons WHERE registered_at<>'' AND category=? AND blocked=0
		ORDER BY registered_at, patron_id LIMIT ?`, domain.CategorySelfRegistered, min(limit, 500))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*domain.Patron{}
	for rows.Next() {
		p, err := scanPatron(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// VerifyPatron verifies a self-registered patron: they move to category
// (one of the library's, not the self-registered one), with the limits of
// that category from now on. It is one patron.set op.
func (s *Service) VerifyPatron(ctx context.Context, id, category string) (*domain.Patron, error) {
	if category == "" || category == domain.CategorySelfRegistered {
		return nil, domain.Invalid("Choose the category the verified patron joins.")
	}
	err := s.update(ctx, func(t *txn) error {
		p, err := getPatron(ctx, t, id)
		if err != nil {
			return err
		}
		if p.Category != domain.CategorySelfRegistered {
			return domain.Fail(domain.CodeNotSelfRegistered, "Patron %s is not awaiting verification.", p.Cardnumber)
		}
		if _, err := getCategory(ctx, t, category); err != nil {
			return err
		}
		_, err = t.emit(ctx, KindPatronSet, fieldsOp{Key: map[string]any{"patron_id": id}, Fields: map[string]any{"category": category}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Patron(ctx, id)
}
