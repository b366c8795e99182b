package branch

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"stacks/branch/domain"
	"stacks/replicate"
)

type querier = replicate.Querier

const patronCols = `patron_id, cardnumber, firstname, surname, email, phone, address, date_of_birth, home_branch, category,
	expiry_date, blocked, block_reason, registered_at, language`

func scanPatron(row interface{ Scan(...any) error }) (*domain.Patron, error) {
	var p domain.Patron
	err := row.Scan(&p.PatronID, &p.Cardnumber, &p.Firstname, &p.Surname, &p.Email, &p.Phone, &p.Address, &p.DateOfBirth,
		&p.HomeBranch, &p.Category, &p.ExpiryDate, &p.Blocked, &p.BlockReason, &p.RegisteredAt, &p.Language)
	return &p, err
}

func getPatron(ctx context.Context, q querier, id string) (*domain.Patron, error) {
	p, err := scanPatron(q.QueryRowContext(ctx, `SELECT `+patronCols+` FROM patrons WHERE patron_id=? AND registered_at<>''`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodePatronNotFound, "No patron with id %s.", id)
	}
	return p, err
}

func patronByCard(ctx context.Context, q querier, card string) (*domain.Patron, error) {
	p, err := scanPatron(q.QueryRowContext(ctx, `SELECT `+patronCols+` FROM patrons WHERE cardnumber=? AND registered_at<>''
		ORDER BY patron_id LIMIT 1`, card))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodePatronNotFound, "No patron has card number %s.", card)
	}
	return p, err
}

// findPatron looks a patron up by id, else by card number.
func findPatron(ctx context.Context, q querier, id, card string) (*domain.Patron, error) {
	switch {
	case id != "":
		return getPatron(ctx, q, id)
	case card != "":
		if err := checkCode("card number", card); err != nil {
			return nil, err
		}
		return patronByCard(ctx, q, card)
	}
	return nil, domain.Invalid("Give a patron id or card number.")
}

func searchPatrons(ctx context.Context, q querier, term string, limit int) ([]*domain.Patron, error) {
	like := "%" + strings.ToLower(strings.TrimSpace(term)) + "%"
	rows, err := q.QueryContext(ctx, `SELECT `+patronCols+` FROM patrons WHERE registered_at<>'' AND
		(cardnumber=? OR lower(surname||' '||firstname) LIKE ? OR lower(firstname||' '||surname) LIKE ? OR lower(email) LIKE ?)
		ORDER BY surname COLLATE NOCASE, firstname COLLATE NOCASE, patron_id LIMIT ?`, strings.TrimSpace(term), like, like, like, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*domain.Patron
	for rows.Next() {
		p, err := scanPatron(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

const itemCols = `i.item_id, i.barcode, i.biblio_id, i.home_branch, i.location, i.item_type, i.call_number, i.price_cents,
	i.base_status, i.transit_to, i.status, i.properties, coalesce(b.title,'')`

func scanItem(row interface{ Scan(...any) error }) (*domain.Item, error) {
	var it domain.Item
	err := row.Scan(&it.ItemID, &it.Barcode, &it.BiblioID, &it.HomeBranch, &it.Location, &it.ItemType, &it.CallNumber,
		&it.PriceCents, &it.BaseStatus, &it.TransitTo, &it.Status, &it.Properties, &it.Title)
	return &it, err
}

func getItem(ctx context.Context, q querier, id string) (*domain.Item, error) {
	it, err := scanItem(q.QueryRowContext(ctx, `SELECT `+itemCols+` FROM items i LEFT JOIN biblios b USING (biblio_id)
		WHERE i.item_id=? AND i.barcode<>''`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodeItemNotFound, "No item with id %s.", id)
	}
	return it, err
}

func itemByBarcode(ctx context.Context, q querier, barcode string) (*domain.Item, error) {
	if err := checkCode("barcode", barcode); err != nil {
		return nil, err
	}
	it, err := scanItem(q.QueryRowContext(ctx, `SELECT `+itemCols+` FROM items i LEFT JOIN biblios b USING (biblio_id)
		WHERE i.barcode=? ORDER BY i.item_id LIMIT 1`, barcode))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodeItemNotFound, "No item has barcode %s.", barcode)
	}
	return it, err
}

func findItem(ctx context.Context, q querier, id, barcode string) (*domain.Item, error) {
	switch {
	case id != "":
		return getItem(ctx, q, id)
	case barcode != "":
		return itemByBarcode(ctx, q, barcode)
	}
	return nil, domain.Invalid("Give an item id or barcode.")
}

// ItemFilter selects items; empty fields match all.
type ItemFilter struct {
	Status   string
	BiblioID string
	Branch   string // holding branch
	Barcode  string
	ItemType string
	// TransitTo keeps only the copies in transit (status in_transit) to
	// that branch: what its van should bring.
	TransitTo string
	Limit     int
	Offset    int
}

func listItems(ctx context.Context, q querier, f ItemFilter) ([]*domain.Item, error) {
	var where []string
	var args []any
	add := func(cond string, v string) {
		if v != "" {
			where = append(where, cond)
			args = append(args, v)
		}
	}
	add("i.status=?", f.Status)
	add("i.biblio_id=?", f.BiblioID)
	add("i.location=?", f.Branch)
	add("i.barcode=?", f.Barcode)
	add("i.item_type=?", f.ItemType)
	if f.TransitTo != "" {
		add("i.status=?", domain.ItemInTransit)
		add("i.transit_to=?", f.TransitTo)
	}
	w := "i.barcode<>''"
	if len(where) > 0 {
		w += " AND " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	args = append(args, f.Limit, f.Offset)
	rows, err := q.QueryContext(ctx, `SELECT `+itemCols+` FROM items i LEFT JOIN biblios b USING (biblio_id) WHERE `+w+
		` ORDER BY i.barcode, i.item_id LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*domain.Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

const biblioCols = `biblio_id, title, subtitle, authors, subjects, isbn, language, format, publisher, year, licences,
	series, notes, audience, issn, isbns, sort_title`

func scanBiblio(row interface{ Scan(...any) error }) (*domain.Biblio, error) {
	var b domain.Biblio
	var authors, subjects, series, isbns string
	if err := row.Scan(&b.BiblioID, &b.Title, &b.Subtitle, &authors, &subjects, &b.ISBN, &b.Language, &b.Format,
		&b.Publisher, &b.Year, &b.Licences, &series, &b.Notes, &b.Audience, &b.ISSN, &isbns, &b.SortTitle); err != nil {
		return nil, err
	}
	if series != "" {
		_ = json.Unmarshal([]byte(series), &b.Series)
	}
	if isbns != "" {
		_ = json.Unmarshal([]byte(isbns), &b.ISBNs)
	}
	_ = json.Unmarshal([]byte(authors), &b.Authors)
	_ = json.Unmarshal([]byte(subjects), &b.Subjects)
	if b.Authors == nil {
		b.Authors = []string{}
	}
	if b.Subjects == nil {
		b.Subjects = []string{}
	}
	return &b, nil
}

func getBiblio(ctx context.Context, q querier, id string) (*domain.Biblio, error) {
	b, err := scanBiblio(q.QueryRowContext(ctx, `SELECT `+biblioCols+` FROM biblios WHERE biblio_id=? AND title<>''`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodeBiblioNotFound, "No title with id %s.", id)
	}
	return b, err
}

func getBiblios(ctx context.Context, q querier, ids []string) (map[string]*domain.Biblio, error) {
	out := make(map[string]*domain.Biblio, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT `+biblioCols+` FROM biblios WHERE biblio_id IN (SELECT value FROM json_each(?)) AND title<>''`,
		replicate.JSONList(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		b, err := scanBiblio(rows)
		if err != nil {
			return nil, err
		}
		out[b.BiblioID] = b
	}
	return out, rows.Err()
}

func searchBiblios(ctx context.Context, q querier, term, isbn string, limit, offset int) ([]*domain.Biblio, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	var where []string
	var args []any
	for _, w := range strings.Fields(strings.ToLower(term)) {
		like := "%" + w + "%"
		where = append(where, `(lower(title||' '||subtitle) LIKE ? OR lower(authors) LIKE ? OR lower(subjects) LIKE ? OR isbn=?)`)
		args = append(args, like, like, like, w)
	}
	if isbn != "" {
		where = append(where, "isbn=?")
		args = append(args, isbn)
	}
	w := "title<>''"
	if len(where) > 0 {
		w += " AND " + strings.Join(where, " AND ")
	}
	args = append(args, limit, offset)
	rows, err := q.QueryContext(ctx, `SELECT `+biblioCols+` FROM biblios WHERE `+w+` ORDER BY title COLLATE NOCASE, biblio_id LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*domain.Biblio
	for rows.Next() {
		b, err := scanBiblio(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

const loanCols = `l.loan_id, l.item_id, l.patron_id, l.branch_id, l.issued_at, l.due_date, l.renewals, l.returned_at,
	l.return_branch, l.lost, coalesce(i.barcode,''), coalesce(b.title,'')`

func scanLoan(row interface{ Scan(...any) error }) (*domain.Loan, error) {
	var l domain.Loan
	err := row.Scan(&l.LoanID, &l.ItemID, &l.PatronID, &l.BranchID, &l.IssuedAt, &l.DueDate, &l.Renewals, &l.ReturnedAt,
		&l.ReturnBranch, &l.Lost, &l.Barcode, &l.Title)
	return &l, err
}

const loanFrom = ` FROM loans l LEFT JOIN items i ON i.item_id=l.item_id LEFT JOIN biblios b ON b.biblio_id=i.biblio_id `

func getLoan(ctx context.Context, q querier, id string) (*domain.Loan, error) {
	l, err := scanLoan(q.QueryRowContext(ctx, `SELECT `+loanCols+loanFrom+`WHERE l.loan_id=? AND l.issued=1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodeLoanNotFound, "No checkout with id %s.", id)
	}
	return l, err
}

// openLoan returns the item's open loan, or nil.
func openLoan(ctx context.Context, q querier, itemID string) (*domain.Loan, error) {
	l, err := scanLoan(q.QueryRowContext(ctx, `SELECT `+loanCols+loanFrom+`WHERE l.item_id=? AND l.issued=1 AND l.return_stamp=''
		ORDER BY l.due_stamp LIMIT 1`, itemID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return l, err
}

func patronLoans(ctx context.Context, q querier, patronID string, history bool) ([]*domain.Loan, error) {
	cond := "AND l.return_stamp=''"
	if history {
		cond = ""
	}
	rows, err := q.QueryContext(ctx, `SELECT `+loanCols+loanFrom+`WHERE l.patron_id=? AND l.issued=1 `+cond+
		` ORDER BY l.due_date, l.loan_id`, patronID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*domain.Loan
	for rows.Next() {
		l, err := scanLoan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

const holdCols = `h.hold_id, h.patron_id, h.biblio_id, h.item_id, h.pickup_branch, h.placed_at, h.status, h.trapped_item,
	h.shelf_expires, coalesce(b.title,''), trim(coalesce(p.firstname,'')||' '||coalesce(p.surname,'')), coalesce(p.cardnumber,''),
	h.not_needed_after, h.suspended_until`

const holdFrom = ` FROM holds h LEFT JOIN biblios b ON b.biblio_id=h.biblio_id LEFT JOIN patrons p ON p.patron_id=h.patron_id `

func scanHold(row interface{ Scan(...any) error }) (*domain.Hold, error) {
	var h domain.Hold
	err := row.Scan(&h.HoldID, &h.PatronID, &h.BiblioID, &h.ItemID, &h.PickupBranch, &h.PlacedAt, &h.Status, &h.TrappedItem,
		&h.ShelfExpires, &h.Title, &h.PatronName, &h.Cardnumber, &h.NotNeededAfter, &h.SuspendedUntil)
	return &h, err
}

func queryHolds(ctx context.Context, q querier, where string, args ...any) ([]*domain.Hold, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+holdCols+holdFrom+`WHERE h.placed=1 AND `+where+` ORDER BY h.placed_stamp, h.hold_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*domain.Hold
	for rows.Next() {
		h, err := scanHold(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func getHold(ctx context.Context, q querier, id string) (*domain.Hold, error) {
	hs, err := queryHolds(ctx, q, "h.hold_id=?", id)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, domain.Fail(domain.CodeHoldNotFound, "No hold with id %s.", id)
	}
	return hs[0], nil
}

// titleQueue is the title's active holds in queue order, (placed HLC, origin).
func titleQueue(ctx context.Context, q querier, biblioID string) ([]*domain.Hold, error) {
	hs, err := queryHolds(ctx, q, "h.biblio_id=? AND h.status_rank<3", biblioID)
	for i, h := range hs {
		h.Priority = i + 1
	}
	return hs, err
}

// trappedHold is the active hold an item is trapped for, or nil.
func trappedHold(ctx context.Context, q querier, itemID string) (*domain.Hold, error) {
	hs, err := queryHolds(ctx, q, "h.trapped_item=? AND h.status IN ('in_transit','ready')", itemID)
	if err != nil || len(hs) == 0 {
		return nil, err
	}
	return hs[0], nil
}

func account(ctx context.Context, q querier, patronID string) (*domain.Account, error) {
	rows, err := q.QueryContext(ctx, `SELECT line_id, patron_id, kind, amount_cents, applies_to, loan_id, item_id, description, method,
		created_at, branch_id FROM fees WHERE patron_id=? ORDER BY stamp, line_id`, patronID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	a := &domain.Account{PatronID: patronID, Lines: []domain.FeeLine{}}
	idx := map[string]int{}
	for rows.Next() {
		var l domain.FeeLine
		if err := rows.Scan(&l.LineID, &l.PatronID, &l.Kind, &l.AmountCents, &l.AppliesTo, &l.LoanID, &l.ItemID, &l.Description,
			&l.Method, &l.CreatedAt, &l.BranchID); err != nil {
			return nil, err
		}
		a.BalanceCents += l.AmountCents
		if l.AmountCents > 0 && l.AppliesTo == "" {
			l.Outstanding = l.AmountCents
			idx[l.LineID] = len(a.Lines)
		}
		a.Lines = append(a.Lines, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, l := range a.Lines {
		if l.AppliesTo != "" {
			if i, ok := idx[l.AppliesTo]; ok {
				a.Lines[i].Outstanding += l.AmountCents
			}
		}
	}
	return a, nil
}

func balance(ctx context.Context, q querier, patronID string) (int64, error) {
	var b int64
	err := q.QueryRowContext(ctx, `SELECT coalesce(sum(amount_cents),0) FROM fees WHERE patron_id=?`, patronID).Scan(&b)
	return b, err
}

func getLibrary(ctx context.Context, q querier, id string) (*domain.Library, error) {
	var l domain.Library
	err := q.QueryRowContext(ctx, `SELECT branch_id, name, institution_id, address, email, phone, hold_shelf_days FROM libraries
		WHERE branch_id=? AND name<>''`, id).Scan(&l.BranchID, &l.Name, &l.InstitutionID, &l.Address, &l.Email, &l.Phone, &l.HoldShelfDays)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodeLibraryNotFound, "No library with id %s.", id)
	}
	return &l, err
}

// requireLibrary fails with CodeLibraryNotFound unless library id exists:
// the check of a command that names a library and needs nothing else of it
// (a closed day, a patron's home branch, a pickup branch), one column read
// rather than getLibrary's seven.
func requireLibrary(ctx context.Context, q querier, id string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM libraries WHERE branch_id=? AND name<>''`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Fail(domain.CodeLibraryNotFound, "No library with id %s.", id)
	}
	return err
}

func getCategory(ctx context.Context, q querier, id string) (*domain.Category, error) {
	var c domain.Category
	err := q.QueryRowContext(ctx, `SELECT category, description, max_fine_cents, enrolment_months, max_holds FROM categories
		WHERE category=?`, id).Scan(&c.Category, &c.Description, &c.MaxFineCents, &c.EnrolmentMonths, &c.MaxHolds)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodeCategoryNotFound, "No patron category %s.", id)
	}
	return &c, err
}

func getItemType(ctx context.Context, q querier, id string) (*domain.ItemType, error) {
	var t domain.ItemType
	err := q.QueryRowContext(ctx, `SELECT item_type, description, replacement_cents, processing_cents FROM item_types
		WHERE item_type=?`, id).Scan(&t.ItemType, &t.Description, &t.ReplacementCents, &t.ProcessingCents)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodeItemTypeNotFound, "No item type %s.", id)
	}
	return &t, err
}

// checkCode validates a barcode or card number: 1-32 printable ASCII
// characters without spaces.
func checkCode(what, s string) error {
	if s == "" || len(s) > 32 {
		return domain.Fail(domain.CodeBadBarcode, "A %s must be 1 to 32 characters.", what)
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return domain.Fail(domain.CodeBadBarcode, "A %s may contain only letters, digits and punctuation.", what)
		}
	}
	return nil
}
