package digital

import (
	"context"
	"database/sql"

	"stacks/branch/domain"
	"stacks/replicate"
)

// dueExpr is a loan's due date: its grant's, or its latest renewal's.
const dueExpr = `max(l.due_date, coalesce((SELECT max(r.due_date) FROM digital_renewals r WHERE r.loan_id=l.loan_id), ''))`

const loanCols = `l.loan_id, l.biblio_id, l.licence_id, l.patron_id, coalesce(b.title, ''), coalesce(b.format, ''), l.granted_at, ` + dueExpr + `,
	(SELECT count(*) FROM digital_renewals r WHERE r.loan_id=l.loan_id), l.returned_at, l.return_reason, l.hold_id`

func queryLoans(ctx context.Context, q replicate.Querier, where string, args ...any) ([]*domain.DigitalLoan, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+loanCols+` FROM digital_loans l LEFT JOIN biblios b ON b.biblio_id=l.biblio_id
		WHERE `+where+` ORDER BY l.granted_at, l.loan_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*domain.DigitalLoan
	for rows.Next() {
		var l domain.DigitalLoan
		if err := rows.Scan(&l.LoanID, &l.BiblioID, &l.LicenceID, &l.PatronID, &l.Title, &l.Format, &l.IssuedAt, &l.DueDate,
			&l.Renewals, &l.ReturnedAt, &l.ReturnReason, &l.HoldID); err != nil {
			return nil, err
		}
		out = append(out, &l)
	}
	return out, rows.Err()
}

// loanByID is a granted loan.
func loanByID(ctx context.Context, q replicate.Querier, id string) (*domain.DigitalLoan, error) {
	ls, err := queryLoans(ctx, q, `l.loan_id=? AND l.granted_at<>''`, id)
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 {
		return nil, domain.Fail(domain.CodeLoanNotFound, "No digital loan with id %s.", id)
	}
	return ls[0], nil
}

// openLoanOf is the patron's running loan of a title, or nil.
func openLoanOf(ctx context.Context, q replicate.Querier, patronID, biblioID string) (*domain.DigitalLoan, error) {
	ls, err := queryLoans(ctx, q, `l.patron_id=? AND l.biblio_id=? AND l.returned_at='' AND l.granted_at<>''`, patronID, biblioID)
	if err != nil || len(ls) == 0 {
		return nil, err
	}
	return ls[0], nil
}

var holdStatus = []string{domain.DigitalHoldWaiting, domain.DigitalHoldFilled, domain.DigitalHoldCancelled}

const holdCols = `h.hold_id, h.biblio_id, h.patron_id, coalesce(b.title, ''), h.placed_at, h.status_rank, h.loan_id, h.closed_at`

func queryHolds(ctx context.Context, q replicate.Querier, where string, args ...any) ([]*domain.DigitalHold, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+holdCols+` FROM digital_holds h LEFT JOIN biblios b ON b.biblio_id=h.biblio_id
		WHERE h.placed_at<>'' AND `+where+` ORDER BY h.seq, h.placed_at, h.hold_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*domain.DigitalHold
	for rows.Next() {
		var h domain.DigitalHold
		var rank int
		if err := rows.Scan(&h.HoldID, &h.BiblioID, &h.PatronID, &h.Title, &h.PlacedAt, &rank, &h.LoanID, &h.ClosedAt); err != nil {
			return nil, err
		}
		if rank >= 0 && rank < len(holdStatus) {
			h.Status = holdStatus[rank]
		}
		out = append(out, &h)
	}
	return out, rows.Err()
}

// waitingHolds is a title's queue, first in line first.
func waitingHolds(ctx context.Context, q replicate.Querier, biblioID string) ([]*domain.DigitalHold, error) {
	hs, err := queryHolds(ctx, q, `h.biblio_id=? AND h.status_rank=0`, biblioID)
	for i, h := range hs {
		h.Position = i + 1
	}
	return hs, err
}

// holdByID is a hold, with its place in the queue while it waits;
// sql.ErrNoRows when there is none.
func holdByID(ctx context.Context, q replicate.Querier, id string) (*domain.DigitalHold, error) {
	hs, err := queryHolds(ctx, q, `h.hold_id=?`, id)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, sql.ErrNoRows
	}
	h := hs[0]
	if h.Status == domain.DigitalHoldWaiting {
		queue, err := waitingHolds(ctx, q, h.BiblioID)
		if err != nil {
			return nil, err
		}
		for _, w := range queue {
			if w.HoldID == h.HoldID {
				h.Position = w.Position
			}
		}
	}
	return h, nil
}

// BaseLicenceID names a title's base licence (its plain licence count).
func BaseLicenceID(biblioID string) string { return "base:" + biblioID }

// licencesOf are the licences of title b with their use as of today: the
// base licence of its plain count, if any, then the licences bought.
func licencesOf(ctx context.Context, q replicate.Querier, b *domain.Biblio, today string) ([]*domain.Licence, error) {
	var out []*domain.Licence
	if b.Licences > 0 {
		out = append(out, &domain.Licence{LicenceID: BaseLicenceID(b.BiblioID), BiblioID: b.BiblioID, Copies: b.Licences, Users: 1, Base: true})
	}
	rows, err := q.QueryContext(ctx, `SELECT licence_id, biblio_id, copies, users, max_loans, expires_on, note, added_at
		FROM digital_licences WHERE biblio_id=? ORDER BY added_at, licence_id`, b.BiblioID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var l domain.Licence
		if err := rows.Scan(&l.LicenceID, &l.BiblioID, &l.Copies, &l.Users, &l.MaxLoans, &l.ExpiresOn, &l.Note, &l.AddedAt); err != nil {
			return nil, err
		}
		out = append(out, &l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	use := map[string][2]int{}
	urows, err := q.QueryContext(ctx, `SELECT licence_id, count(*), sum(returned_at='') FROM digital_loans
		WHERE biblio_id=? AND granted_at<>'' GROUP BY licence_id`, b.BiblioID)
	if err != nil {
		return nil, err
	}
	defer urows.Close()
	for urows.Next() {
		var id string
		var used, active int
		if err := urows.Scan(&id, &used, &active); err != nil {
			return nil, err
		}
		use[id] = [2]int{used, active}
	}
	if err := urows.Err(); err != nil {
		return nil, err
	}
	for _, l := range out {
		u := use[l.LicenceID]
		l.LoansUsed, l.Active = u[0], u[1]
		l.Usable = (l.ExpiresOn == "" || today <= l.ExpiresOn) && (l.MaxLoans == 0 || l.LoansUsed < l.MaxLoans)
	}
	return out, nil
}

// licenceByID is one licence of b.
func licenceByID(ctx context.Context, q replicate.Querier, b *domain.Biblio, id, today string) (*domain.Licence, error) {
	ls, err := licencesOf(ctx, q, b, today)
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		if l.LicenceID == id {
			return l, nil
		}
	}
	return nil, domain.Fail(domain.CodeLicenceNotFound, "No licence %s.", id)
}

func queryStrings(ctx context.Context, q replicate.Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
