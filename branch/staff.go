package branch

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"stacks/replicate"
)

var roles = map[string]bool{RoleCirculation: true, RoleSupervisor: true, RoleAdmin: true, RoleCentralIT: true, RoleKiosk: true}

// Character sets a kiosk account may speak SIP2 in (Staff.Charset): kiosks
// of several vendors expect ASCII or a code page rather than UTF-8.
const (
	CharsetUTF8   = "utf-8" // the default
	CharsetASCII  = "ascii" // accents folded (é to e, ß to ss)
	CharsetLatin1 = "latin-1"
	CharsetCP850  = "cp850"
)

// checkCharset returns the canonical name of a character set ("" is the
// default, UTF-8).
func checkCharset(name string) (string, error) {
	switch c := strings.ToLower(strings.TrimSpace(name)); c {
	case "", CharsetUTF8, "utf8":
		return CharsetUTF8, nil
	case CharsetASCII, CharsetLatin1, CharsetCP850:
		return c, nil
	case "iso-8859-1", "latin1":
		return CharsetLatin1, nil
	}
	return "", invalid("Unknown character set %q: give utf-8, ascii, latin-1 or cp850.", name)
}

// NewStaff creates or replaces a staff (or kiosk) account.
type NewStaff struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	BranchID    string `json:"library_id"`
	Password    string `json:"password"`
	// PasswordHash, if set, is stored instead of hashing Password.
	PasswordHash string `json:"-"`
	// Active, when false, creates or keeps the account deactivated; nil
	// means active.
	Active *bool `json:"active,omitempty"`
	// Charset is the character set of a kiosk account's SIP2 messages
	// (CharsetUTF8 when empty).
	Charset string `json:"charset,omitempty"`
}

// SetStaff creates or updates a staff account.
func (s *Service) SetStaff(ctx context.Context, ns NewStaff) (*Staff, error) {
	if err := checkCode("username", ns.Username); err != nil {
		return nil, err
	}
	if !roles[ns.Role] {
		return nil, invalid("Unknown role %q.", ns.Role)
	}
	charset, err := checkCharset(ns.Charset)
	if err != nil {
		return nil, err
	}
	hash := ns.PasswordHash
	if hash == "" {
		if len(ns.Password) < 4 || len(ns.Password) > 72 {
			return nil, invalid("A password must be 4 to 72 characters.")
		}
		var err error
		if hash, err = HashSecret(ns.Password, s.cfg.PINCost); err != nil {
			return nil, err
		}
	}
	err = s.update(ctx, func(t *txn) error {
		if ns.BranchID != "" {
			if _, err := getLibrary(ctx, t, ns.BranchID); err != nil {
				return err
			}
		}
		active := ns.Active == nil || *ns.Active
		fields := map[string]any{"display_name": ns.DisplayName, "role": ns.Role, "branch_id": ns.BranchID,
			"password_hash": hash, "active": active}
		// The charset is written only when it is set or was: an account
		// with the default writes the same op as before the field existed,
		// which an older node still accepts.
		if old, err := getStaff(ctx, t, ns.Username); charset != CharsetUTF8 || err == nil && old.Charset != CharsetUTF8 {
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

func getStaff(ctx context.Context, q querier, username string) (*Staff, error) {
	var st Staff
	err := q.QueryRowContext(ctx, `SELECT username, display_name, role, branch_id, active, password_hash, charset FROM staff WHERE username=?`,
		username).Scan(&st.Username, &st.DisplayName, &st.Role, &st.BranchID, &st.Active, &st.hash, &st.Charset)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail(CodeNotFound, "No staff account %s.", username)
	}
	st.Charset = cmp.Or(st.Charset, CharsetUTF8)
	return &st, err
}

// dummyHash is compared against when the user does not exist.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)
	return h
})

// Authenticate checks a staff login.
func (s *Service) Authenticate(ctx context.Context, username, password string) (*Staff, error) {
	bad := fail(CodeBadCredentials, "The username or password is wrong.")
	if checkCode("username", username) != nil {
		return nil, bad
	}
	st, err := getStaff(ctx, s.hot(), username)
	if err != nil {
		if ErrorCode(err) != CodeNotFound {
			return nil, err
		}
		// Spend the same time on an unknown user as on a wrong password.
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return nil, bad
	}
	if bcrypt.CompareHashAndPassword([]byte(st.hash), []byte(password)) != nil || !st.Active {
		return nil, bad
	}
	return st, nil
}

// StaffList lists staff accounts.
func (s *Service) StaffList(ctx context.Context) ([]*Staff, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT username, display_name, role, branch_id, active, password_hash, charset FROM staff ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Staff{}
	for rows.Next() {
		var st Staff
		if err := rows.Scan(&st.Username, &st.DisplayName, &st.Role, &st.BranchID, &st.Active, &st.hash, &st.Charset); err != nil {
			return nil, err
		}
		st.Charset = cmp.Or(st.Charset, CharsetUTF8)
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
func (s *Service) StaffAccount(ctx context.Context, username string) (*Staff, error) {
	if checkCode("username", username) != nil {
		return nil, fail(CodeNotFound, "No staff account %s.", username)
	}
	return getStaff(ctx, s.db.Read(), username)
}

// SetStaffActive activates or deactivates a staff account. A deactivated
// account cannot log in, and its sessions are refused on every node once
// the change has replicated there.
func (s *Service) SetStaffActive(ctx context.Context, username string, active bool) (*Staff, error) {
	return s.UpdateStaff(ctx, username, StaffUpdate{Active: &active})
}

// StaffUpdate changes some fields of a staff account; nil leaves a field
// as it is.
type StaffUpdate struct {
	Active  *bool   `json:"active,omitempty"`
	Charset *string `json:"charset,omitempty"`
}

// UpdateStaff changes the fields u sets of an account, in one op.
func (s *Service) UpdateStaff(ctx context.Context, username string, u StaffUpdate) (*Staff, error) {
	if checkCode("username", username) != nil {
		return nil, fail(CodeNotFound, "No staff account %s.", username)
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
		return nil, invalid("Nothing to change.")
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
