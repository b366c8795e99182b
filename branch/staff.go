package branch

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"stacks/branch/domain"
	"stacks/replicate"
)

// checkCharset returns the canonical name of a character set ("" is the
// default, UTF-8).
func checkCharset(name string) (string, error) {
	switch c := strings.ToLower(strings.TrimSpace(name)); c {
	case "", domain.CharsetUTF8, "utf8":
		return domain.CharsetUTF8, nil
	case domain.CharsetASCII, domain.CharsetLatin1, domain.CharsetCP850:
		return c, nil
	case "iso-8859-1", "latin1":
		return domain.CharsetLatin1, nil
	}
	return "", domain.Invalid("Unknown character set %q: give utf-8, ascii, latin-1 or cp850.", name)
}

// SetStaff creates or updates a staff account.
func (s *Service) SetStaff(ctx context.Context, ns domain.NewStaff) (*domain.Staff, error) {
	if err := checkCode("username", ns.Username); err != nil {
		return nil, err
	}
	if !domain.IsStaffRole(ns.Role) {
		return nil, domain.Invalid("Unknown role %q.", ns.Role)
	}
	charset, err := checkCharset(ns.Charset)
	if err != nil {
		return nil, err
	}
	hash := ns.PasswordHash
	if hash == "" {
		if len(ns.Password) < 4 || len(ns.Password) > 72 {
			return nil, domain.Invalid("A password must be 4 to 72 characters.")
		}
		var err error
		if hash, err = HashSecret(ns.Password, s.cfg.PINCost); err != nil {
			return nil, err
		}
	}
	err = s.update(ctx, func(t *txn) error {
		if ns.BranchID != "" {
			if err := requireLibrary(ctx, t, ns.BranchID); err != nil {
				return err
			}
		}
		active := ns.Active == nil || *ns.Active
		fields := map[string]any{"display_name": ns.DisplayName, "role": ns.Role, "branch_id": ns.BranchID,
			"password_hash": hash, "active": active}
		// The charset is written only when it is set or was: an account
		// with the default writes the same op as before the field existed,
		// which an older node still accepts.
		if old, err := getStaff(ctx, t, ns.Username); charset != domain.CharsetUTF8 || err == nil && old.Charset != domain.CharsetUTF8 {
			fields["charset"] = charset
		}
		_, err := t.emit(ctx, KindStaffSet, fieldsOp{Key: map[string]any{"username": ns.Username}, Fields: fields})
		return err
	})
	if err != nil {
		return nil, err
	}
	return getStaff(ctx, s.db.Read(), ns.Username)
}

func getStaff(ctx context.Context, q querier, username string) (*domain.Staff, error) {
	st, _, err := getStaffHash(ctx, q, username)
	return st, err
}

// getStaffHash reads a staff account and its password hash, which never
// leaves this package.
func getStaffHash(ctx context.Context, q querier, username string) (*domain.Staff, string, error) {
	var st domain.Staff
	var hash string
	err := q.QueryRowContext(ctx, `SELECT username, display_name, role, branch_id, active, password_hash, charset FROM staff WHERE username=?`,
		username).Scan(&st.Username, &st.DisplayName, &st.Role, &st.BranchID, &st.Active, &hash, &st.Charset)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", domain.Fail(domain.CodeNotFound, "No staff account %s.", username)
	}
	st.Charset = cmp.Or(st.Charset, domain.CharsetUTF8)
	return &st, hash, err
}

// dummyHash is compared against when the user does not exist.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)
	return h
})

// Authenticate checks a staff login.
func (s *Service) Authenticate(ctx context.Context, username, password string) (*domain.Staff, error) {
	bad := domain.Fail(domain.CodeBadCredentials, "The username or password is wrong.")
	if checkCode("username", username) != nil {
		return nil, bad
	}
	st, hash, err := getStaffHash(ctx, s.hot(), username)
	if err != nil {
		if domain.ErrorCode(err) != domain.CodeNotFound {
			return nil, err
		}
		// Spend the same time on an unknown user as on a wrong password.
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return nil, bad
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || !st.Active {
		return nil, bad
	}
	return st, nil
}

// StaffList lists staff accounts.
func (s *Service) StaffList(ctx context.Context) ([]*domain.Staff, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT username, display_name, role, branch_id, active, charset FROM staff ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*domain.Staff{}
	for rows.Next() {
		var st domain.Staff
		if err := rows.Scan(&st.Username, &st.DisplayName, &st.Role, &st.BranchID, &st.Active, &st.Charset); err != nil {
			return nil, err
		}
		st.Charset = cmp.Or(st.Charset, domain.CharsetUTF8)
		out = append(out, &st)
	}
	return out, rows.Err()
}

// StateHash is the canonical hash of every state table.
func (s *Service) StateHash(ctx context.Context) (string, error) {
	return replicate.StateHash(ctx, s.db.Read(), s.tables)
}

// StaffAccount returns a staff account, active or not; not_found if there
// is none. Sessions check it to refuse the tokens of deactivated accounts.
func (s *Service) StaffAccount(ctx context.Context, username string) (*domain.Staff, error) {
	if checkCode("username", username) != nil {
		return nil, domain.Fail(domain.CodeNotFound, "No staff account %s.", username)
	}
	return getStaff(ctx, s.db.Read(), username)
}

// SetStaffActive activates or deactivates a staff account. A deactivated
// account cannot log in, and its sessions are refused on every node once
// the change has replicated there.
func (s *Service) SetStaffActive(ctx context.Context, username string, active bool) (*domain.Staff, error) {
	return s.UpdateStaff(ctx, username, domain.StaffUpdate{Active: &active})
}

// UpdateStaff changes the fields u sets of an account, in one op.
func (s *Service) UpdateStaff(ctx context.Context, username string, u domain.StaffUpdate) (*domain.Staff, error) {
	if checkCode("username", username) != nil {
		return nil, domain.Fail(domain.CodeNotFound, "No staff account %s.", username)
	}
	fields := map[string]any{}
	if u.Active != nil {
		fields["active"] = *u.Active
	}
	if u.Charset != nil {
		c, err := checkCharset(*u.Charset)
		if err != nil {
			return nil, err
		}
		fields["charset"] = c
	}
	if len(fields) == 0 {
		return nil, domain.Invalid("Nothing to change.")
	}
	err := s.update(ctx, func(t *txn) error {
		if _, err := getStaff(ctx, t, username); err != nil {
			return err
		}
		_, err := t.emit(ctx, KindStaffSet, fieldsOp{Key: map[string]any{"username": username}, Fields: fields})
		return err
	})
	if err != nil {
		return nil, err
	}
	return getStaff(ctx, s.db.Read(), username)
}
