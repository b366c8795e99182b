package domain

var roles = map[string]bool{RoleCirculation: true, RoleSupervisor: true, RoleAdmin: true, RoleCentralIT: true, RoleKiosk: true}

// Character sets a kiosk account may speak SIP2 in (Staff.Charset): kiosks
// of several vendors expect ASCII or a code page rather than UTF-8.
const (
	CharsetUTF8   = "utf-8" // the default
	CharsetASCII  = "ascii" // accents folded (é to e, ß to ss)
	CharsetLatin1 = "latin-1"
	CharsetCP850  = "cp850"
)

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

// StaffUpdate changes some fields of a staff account; nil leaves a field
// as it is.
type StaffUpdate struct {
	Active  *bool   `json:"active,omitempty"`
	Charset *string `json:"charset,omitempty"`
}
