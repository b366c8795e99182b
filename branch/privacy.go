package branch

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"stacks/replicate"
)

// The core's part of privacy (GDPR export and erasure; the rest is in
// branch/privacy): what the core's tables hold about a patron, and how the
// patron's personal data leaves them.

// CorePersonalKeys are the JSON keys of the core's op payloads whose string
// values are a patron's personal data (patron.set fields and the reasons
// given for blocks).
var CorePersonalKeys = []string{"cardnumber", "firstname", "surname", "email", "phone", "address", "date_of_birth",
	"pin_hash", "block_reason"}

// PersonalValues are the patron's identifying values as the state holds
// them (card number, names, email, phone, address, date of birth), the
// empty ones left out: what erasure looks for in free text.
func PersonalValues(ctx context.Context, q replicate.Querier, patronID string) ([]string, error) {
	var v [7]string
	err := q.QueryRowContext(ctx, `SELECT cardnumber, firstname, surname, email, phone, address, date_of_birth
		FROM patrons WHERE patron_id=?`, patronID).Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6])
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, s := range v {
		// A value of a character or two (an initial) would match too much
		// unrelated text.
		if len(strings.TrimSpace(s)) >= 3 {
			out = append(out, s)
		}
	}
	return out, nil
}

// ErasePatronCore removes the patron's personal data from the core's
// tables: the patron record keeps its ID (the pseudonym the ledger and the
// audit trail still name), category, home branch and dates, and loses card
// number, names, contact details, date of birth, PIN and block reason;
// staff reasons for overrides about the patron are blanked; conflicts that
// quote the patron's card number or name lose the quote. Loans, holds and
// fees stay keyed by the pseudonym (fees paid are accounts the library
// must keep); returned loans are anonymised by branch/privacy's sweeper.
// Deterministic and idempotent: it reads and blanks state only.
func ErasePatronCore(ctx context.Context, tx *replicate.Tx, patronID string) error {
	vals, err := PersonalValues(ctx, tx, patronID)
	if err != nil {
		return err
	}
	for _, v := range vals {
		if _, err := tx.ExecContext(ctx, `UPDATE OR REPLACE conflicts SET conflict_id=replace(conflict_id, ?1, ''),
			subject=replace(subject, ?1, ''), details=replace(details, ?1, ''), resolution=replace(resolution, ?1, '')
			WHERE instr(conflict_id, ?1) OR instr(subject, ?1) OR instr(details, ?1) OR instr(resolution, ?1)`, v); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conflict_resolutions SET note=replace(note, ?1, ''), details=replace(details, ?1, '')
			WHERE instr(note, ?1) OR instr(details, ?1)`, v); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE patrons SET cardnumber='', firstname='', surname='', email='', phone='',
		address='', date_of_birth='', pin_hash='', block_reason=''
		WHERE patron_id=? AND (cardnumber<>'' OR firstname<>'' OR surname<>'' OR email<>'' OR phone<>'' OR address<>''
			OR date_of_birth<>'' OR pin_hash<>'' OR block_reason<>'')`, patronID); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE overrides SET reason='' WHERE patron_id=? AND reason<>''`, patronID)
	return err
}

// ExportPatronCore is what the core's tables hold about a patron: the
// record (without the PIN's hash), loans current and kept, their renewals,
// holds, fee lines, overrides, PIN attempts, online payments and the
// conflicts that name them.
func ExportPatronCore(ctx context.Context, q replicate.Querier, patronID string) (map[string]any, error) {
	out := map[string]any{}
	parts := []struct{ name, sql string }{
		{"patron", `SELECT patron_id, cardnumber, firstname, surname, email, phone, address, date_of_birth, home_branch,
			category, expiry_date, blocked, block_reason, registered_at, language FROM patrons WHERE patron_id=?1`},
		{"loans", `SELECT l.loan_id, l.item_id, coalesce(i.barcode,'') AS barcode, coalesce(b.title,'') AS title, l.branch_id, l.issued_at, l.due_date, l.renewals,
			l.returned_at, l.return_branch, l.lost FROM loans l LEFT JOIN items i ON i.item_id=l.item_id
			LEFT JOIN biblios b ON b.biblio_id=i.biblio_id WHERE l.patron_id=?1 ORDER BY l.issued_at, l.loan_id`},
		{"loan_renewals", `SELECT r.renewal_id, r.loan_id, r.due_date, r.renewed_at, r.branch_id FROM loan_renewals r
			JOIN loans l ON l.loan_id=r.loan_id WHERE l.patron_id=?1 ORDER BY r.renewed_at, r.renewal_id`},
		{"holds", `SELECT h.hold_id, h.biblio_id, coalesce(b.title,'') AS title, h.item_id, h.pickup_branch, h.placed_at, h.status, h.trapped_item,
			h.shelf_expires, h.closed_at, h.not_needed_after, h.suspended_until FROM holds h
			LEFT JOIN biblios b ON b.biblio_id=h.biblio_id WHERE h.patron_id=?1 ORDER BY h.placed_stamp, h.hold_id`},
		{"fees", `SELECT line_id, kind, amount_cents, applies_to, loan_id, item_id, description, method, created_at, branch_id
			FROM fees WHERE patron_id=?1 ORDER BY stamp, line_id`},
		{"overrides", `SELECT op_id, action, codes, reason, actor, channel, item_id, at FROM overrides WHERE patron_id=?1 ORDER BY at, op_id`},
		{"pin_attempts", `SELECT attempt_id, ok, at, channel FROM pin_attempts WHERE patron_id=?1 ORDER BY at, attempt_id`},
		{"online_payments", `SELECT attempt_key, fees, amount_cents, status, created_at, updated_at FROM online_payments
			WHERE patron_id=?1 ORDER BY created_at, attempt_key`},
		{"conflicts", `SELECT conflict_id, kind, subject, details, status FROM conflicts WHERE instr(details, ?1) ORDER BY conflict_id`},
	}
	for _, p := range parts {
		rows, err := QueryMaps(ctx, q, p.sql, patronID)
		if err != nil {
			return nil, err
		}
		if p.name == "patron" {
			if len(rows) > 0 {
				out[p.name] = rows[0]
			}
			continue
		}
		out[p.name] = rows
	}
	return out, nil
}

// QueryMaps runs a query and returns its rows as maps from column name to
// value (text as string, blobs as string, numbers as int64 or float64), an
// empty slice if none: the shape of a capability's export.
func QueryMaps(ctx context.Context, q replicate.Querier, query string, args ...any) ([]map[string]any, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok {
				vals[i] = string(b)
			}
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Capabilities are the capabilities the service runs (its Config's), so
// that privacy can ask each for its part of an export.
func (s *Service) Capabilities() []Capability { return slices.Clone(s.cfg.Capabilities) }
