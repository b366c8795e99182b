package sip2

import (
	"cmp"
	"context"
	"strings"

	"stacks/branch/domain"
)

// requestFields are the variable fields each request may carry; others are
// logged and skipped.
var requestFields = map[string]string{
	BlockPatron:      "AO AL AA AC",
	Checkin:          "AP AO AB AC CH BI",
	Checkout:         "AO AA AB AC CH AD BO BI",
	Hold:             "BW BS BY AO AA AD AB AJ AC BO",
	ItemInfo:         "AO AB AC",
	ItemStatusUpdate: "AO AB AC CH",
	PatronStatus:     "AO AA AC AD",
	PatronEnable:     "AO AA AC AD",
	Renew:            "AO AA AD AB AJ AC CH BO",
	EndSession:       "AO AA AC AD",
	FeePaid:          "BV AO AA AC AD CG BK",
	PatronInfo:       "AO AA AC AD BP BQ",
	RenewAll:         "AO AA AD AC BO",
	Login:            "CN CO CP",
	SCStatus:         "",
}

func knownField(code, tag string) bool {
	for _, t := range strings.Fields(requestFields[code]) {
		if t == tag {
			return true
		}
	}
	return false
}

// scStatus answers 99 with 98. Before login it answers too (as Evergreen
// does, for kiosks that send 99 first), but says nothing may be done yet.
func (ss *session) scStatus(ctx context.Context, m *Message) *Message {
	switch m.Fixed[0] {
	case '1':
		ss.lg.Warn("kiosk is out of paper", "kiosk", ss.kiosk)
	case '2':
		ss.lg.Info("kiosk is shutting down", "kiosk", ss.kiosk)
	}
	if v := m.Fixed[4:8]; !strings.HasPrefix(v, "2.") && !strings.HasPrefix(v, "1.") {
		ss.lg.Warn("kiosk speaks an unknown protocol version; answering as 2.00", "kiosk", ss.kiosk, "version", printable(v))
	}
	on := ss.kiosk != ""
	ss.inst = "" // re-read the institution now and then
	// online, checkin ok, checkout ok, ACS renewal policy, status update ok,
	// off-line ok, timeout (tenths of a second), retries, date, version.
	fixed := yn(on) + yn(on) + yn(on) + yn(on) + "N" + "N" + "050" + "003" + ss.now() + "2.00"
	r := &Message{Code: ACSStatus, Fixed: fixed}
	r.Add("AO", ss.institution(ctx))
	name := ss.lib.site.Branch()
	if l, err := ss.lib.site.Library(ctx, ss.lib.site.Branch()); err == nil && l.Name != "" {
		name = l.Name
	}
	r.Add("AM", name)
	r.Add("BX", supportedMessages)
	if ss.location != "" {
		r.Add("AN", ss.location)
	}
	if !on {
		r.Add("AF", ss.T("status.offline"))
	}
	return r
}

// login answers 93 with 94: CN/CO must be a kiosk account of this branch;
// CP is the kiosk's location.
func (ss *session) login(ctx context.Context, m *Message) *Message {
	fail := &Message{Code: LoginResp, Fixed: "0"}
	if m.Fixed[0] != '0' || m.Fixed[1] != '0' {
		ss.lg.Warn("kiosk login with encrypted credentials refused (only plain is supported)", "algorithms", printable(m.Fixed))
		return fail
	}
	user, pass := m.Value("CN"), m.Value("CO")
	st, err := ss.lib.logins.Authenticate(ctx, user, pass)
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeBadCredentials {
			ss.lg.Warn("kiosk login refused: wrong user or password", "user", printable(user))
		} else {
			ss.lg.Error("kiosk login failed", "user", printable(user), "err", err)
		}
		return fail
	}
	if st.Role != domain.RoleKiosk {
		ss.lg.Warn("kiosk login refused: the account is not a kiosk account", "user", user, "role", st.Role)
		return fail
	}
	if st.BranchID != "" && st.BranchID != ss.lib.site.Branch() {
		ss.lg.Warn("kiosk login refused: the kiosk belongs to another branch", "user", user, "kiosk_branch", st.BranchID)
		return fail
	}
	cs, known := charsetOf(st.Charset)
	if !known {
		ss.lg.Warn("kiosk account names an unknown character set; speaking UTF-8", "kiosk", st.Username, "charset", printable(st.Charset))
	}
	// The answer to the login is ASCII: the character set applies from the
	// next message on.
	ss.kiosk, ss.inst, ss.cs, ss.authPatron = st.Username, "", cs, ""
	ss.location = m.Value("CP")
	if ss.location == "" {
		ss.location = ss.lib.site.Branch()
	}
	ss.lg.Info("kiosk logged in", "kiosk", ss.kiosk, "location", printable(ss.location), "charset", cmp.Or(cs.name, domain.CharsetUTF8))
	return &Message{Code: LoginResp, Fixed: "1"}
}
