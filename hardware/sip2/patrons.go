package sip2

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"stacks/branch/domain"
)

// unknownPatronFlags is the patron status of a card we do not know: no
// privileges (as Koha and Evergreen answer).
const unknownPatronFlags = "YYYY          "

// statusFlags is the 14-character patron status of SIP2: charge, renewal,
// recall and hold privileges denied, card reported lost, too many items
// charged, overdue, renewals, claims of return, lost, excessive fines,
// excessive fees, recall overdue, too many items billed.
func statusFlags(st *domain.PatronStatus) string {
	f := []byte(strings.Repeat(" ", 14))
	if !st.CanBorrow {
		// A patron who may not borrow may do nothing else either: charge,
		// renewal, recall and hold privileges are all denied.
		f[0], f[1], f[2], f[3] = 'Y', 'Y', 'Y', 'Y'
	}
	if st.MaxFineCents > 0 && st.BalanceCents > st.MaxFineCents {
		f[10], f[11] = 'Y', 'Y'
	}
	return string(f)
}

// patronView is what a patron message needs to know about a card.
type patronView struct {
	p      *domain.Patron
	st     *domain.PatronStatus
	pinSet bool // a PIN was given in the message
	pinOK  bool // ... and it was right
	authed bool // personal details may be shown
	msg    string
}

// view looks the card of m up and checks its PIN, if given.
func (ss *session) view(ctx context.Context, m *Message) (*patronView, error) {
	v := &patronView{}
	p, err := ss.findPatron(ctx, m.Value("AA"))
	if err == nil && p == nil {
		v.msg, _ = ss.eventTicket(ctx, m.Value("AA"))
	}
	if err != nil || p == nil {
		return v, err
	}
	v.p = p
	given, ok, perr := ss.pinCheck(ctx, p, m)
	v.pinSet, v.pinOK = given, ok
	if perr != nil {
		v.msg = ss.say(perr)
	}
	v.authed = ok || (!given && (ss.rememberPIN(p) || !ss.srv.cfg.RequirePIN))
	if v.st, err = ss.lib.patrons.Status(ctx, p.PatronID); err != nil {
		return v, err
	}
	if v.msg == "" {
		switch {
		case len(v.st.Blocks) > 0:
			v.msg = ss.blocks(v.st)
		case v.authed:
			v.msg = sentence(ss.T("welcome", firstName(p)))
		}
	}
	if note := ss.takeNote(); note != "" {
		v.msg = strings.TrimSpace(note + " " + v.msg)
	}
	return v, nil
}

func firstName(p *domain.Patron) string {
	if p.Firstname != "" {
		return p.Firstname
	}
	return p.Name()
}

// sentence ends s with a full stop, unless it ends with one already (a name
// ending in an initial, "David J.").
func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

func lang(m *Message) string {
	if len(m.Fixed) >= 3 && m.Code != BlockPatron && m.Code != PatronEnable {
		return m.Fixed[:3]
	}
	return "000"
}

// answerLang is the language field of 24 and 64: the patron's preference
// once they proved who they are, so the kiosk can switch its own screens to
// it; else the language the kiosk sent.
func (ss *session) answerLang(m *Message, v *patronView) string {
	if v.p != nil && v.authed && ss.srv.texts.speaks(v.p.Language) {
		return LanguageCode(v.p.Language)
	}
	return lang(m)
}

// patronStatusResp renders 24 (or 26, same layout) for v.
func (ss *session) patronStatusResp(ctx context.Context, code string, m *Message, v *patronView) *Message {
	r := &Message{Code: code}
	if v.p == nil {
		r.Fixed = unknownPatronFlags + lang(m) + ss.now()
		r.Add("AO", ss.institution(ctx)).Add("AA", m.Value("AA")).Add("AE", "").Add("BL", "N")
		if v.msg == "" {
			v.msg = ss.say(errNoCard)
		}
		return r.Add("AF", v.msg)
	}
	r.Fixed = statusFlags(v.st) + ss.answerLang(m, v) + ss.now()
	r.Add("AO", ss.institution(ctx)).Add("AA", v.p.Cardnumber)
	name := ""
	if v.authed {
		name = v.p.Name()
	}
	r.Add("AE", name).Add("BL", "Y").Add("CQ", yn(v.pinOK))
	if v.authed && code == PatronStatusResp {
		r.Add("BH", ss.srv.cfg.Currency).Add("BV", money(v.st.BalanceCents))
	}
	if v.msg != "" {
		r.Add("AF", v.msg)
	}
	return r
}

// patronStatus answers 23 with 24.
func (ss *session) patronStatus(ctx context.Context, m *Message) *Message {
	if err := ss.loggedIn(); err != nil {
		return ss.patronStatusResp(ctx, PatronStatusResp, m, &patronView{msg: ss.say(err)})
	}
	v, err := ss.view(ctx, m)
	if err != nil {
		return ss.patronStatusResp(ctx, PatronStatusResp, m, &patronView{msg: ss.say(err)})
	}
	return ss.patronStatusResp(ctx, PatronStatusResp, m, v)
}

func count4(n int) string { return fmt.Sprintf("%04d", min(n, 9999)) }

// patronInfo answers 63 with 64. The summary's first Y picks which list to
// send: hold items (AS), overdue (AT), charged (AU), fine items (AV),
// recalls (BU, none here), unavailable holds (CD); BP/BQ give the range.
func (ss *session) patronInfo(ctx context.Context, m *Message) *Message {
	r := &Message{Code: PatronInfoResp}
	var v *patronView
	var err error
	if err = ss.loggedIn(); err == nil {
		v, err = ss.view(ctx, m)
	}
	if err != nil || v.p == nil {
		msg := ss.say(cmpErr(err, errNoCard))
		if err == nil && v.msg != "" {
			msg = v.msg // an event ticket checked in
		}
		r.Fixed = unknownPatronFlags + lang(m) + ss.now() + strings.Repeat("0000", 6)
		return r.Add("AO", ss.institution(ctx)).Add("AA", m.Value("AA")).Add("AE", "").Add("BL", "N").Add("AF", msg)
	}
	inst := ss.institution(ctx)
	if !v.authed {
		r.Fixed = statusFlags(v.st) + lang(m) + ss.now() + strings.Repeat("0000", 6)
		r.Add("AO", inst).Add("AA", v.p.Cardnumber).Add("AE", "").Add("BL", "Y").Add("CQ", yn(v.pinOK))
		if v.msg == "" {
			v.msg = ss.say(errNeedPIN)
		}
		return r.Add("AF", v.msg)
	}
	loans, err := ss.lib.lists.PatronLoans(ctx, v.p.PatronID, false)
	if err != nil {
		return r.Add("AF", ss.say(err))
	}
	holds, err := ss.lib.lists.PatronHolds(ctx, v.p.PatronID)
	if err != nil {
		return r.Add("AF", ss.say(err))
	}
	acct, err := ss.lib.lists.Account(ctx, v.p.PatronID)
	if err != nil {
		return r.Add("AF", ss.say(err))
	}
	var ready, waiting, overdue, charged, fines []string
	for _, h := range holds {
		if h.Status == domain.HoldReady {
			ready = append(ready, h.Title)
		} else {
			waiting = append(waiting, h.Title)
		}
	}
	for _, l := range loans {
		charged = append(charged, l.Barcode)
		if l.Overdue {
			overdue = append(overdue, l.Barcode)
		}
	}
	for _, l := range acct.Lines {
		if l.Outstanding > 0 {
			fines = append(fines, money(l.Outstanding)+" "+l.Description)
		}
	}
	r.Fixed = statusFlags(v.st) + ss.answerLang(m, v) + ss.now() + count4(len(ready)) + count4(len(overdue)) +
		count4(len(charged)) + count4(len(fines)) + "0000" + count4(len(waiting))
	r.Add("AO", inst).Add("AA", v.p.Cardnumber).Add("AE", v.p.Name()).Add("BL", "Y").Add("CQ", yn(v.pinOK))
	r.Add("BH", ss.srv.cfg.Currency).Add("BV", money(v.st.BalanceCents))
	if v.st.MaxFineCents > 0 {
		r.Add("CC", money(v.st.MaxFineCents))
	}
	summary := m.Fixed[21:31]
	lists := []struct {
		tag   string
		items []string
	}{{"AS", ready}, {"AT", overdue}, {"AU", charged}, {"AV", fines}, {"BU", nil}, {"CD", waiting}}
	if i := strings.IndexByte(summary, 'Y'); i >= 0 && i < len(lists) {
		start, end := rangeOf(m.Value("BP"), m.Value("BQ"))
		for n, it := range lists[i].items {
			if n+1 >= start && n+1 <= end {
				r.Add(lists[i].tag, it)
			}
		}
	}
	if v.p.Address != "" {
		r.Add("BD", v.p.Address)
	}
	if v.p.Email != "" {
		r.Add("BE", v.p.Email)
	}
	if v.p.Phone != "" {
		r.Add("BF", v.p.Phone)
	}
	return r.Add("AF", v.msg)
}

// rangeOf parses BP/BQ (1-based, inclusive); the default is the first 50.
func rangeOf(bp, bq string) (int, int) {
	start, err := strconv.Atoi(strings.TrimSpace(bp))
	if err != nil || start < 1 {
		start = 1
	}
	end, err := strconv.Atoi(strings.TrimSpace(bq))
	if err != nil || end < start {
		end = start + 49
	}
	return start, min(end, start+199)
}

// kioskBlockPrefix marks blocks a kiosk placed (01); only those may be
// lifted by a kiosk (25).
const kioskBlockPrefix = "Blocked by self-check kiosk"

// blockPatron answers 01 with 24: the kiosk kept the card (or asks for a
// block) and the patron is blocked with the kiosk's message as the reason.
func (ss *session) blockPatron(ctx context.Context, m *Message) *Message {
	if err := ss.loggedIn(); err != nil {
		return ss.patronStatusResp(ctx, PatronStatusResp, m, &patronView{msg: ss.say(err)})
	}
	p, err := ss.findPatron(ctx, m.Value("AA"))
	if err != nil || p == nil {
		return ss.patronStatusResp(ctx, PatronStatusResp, m, &patronView{msg: ss.say(cmpErr(err, errNoCard))})
	}
	why := strings.TrimSpace(m.Value("AL"))
	if len(why) > 200 {
		why = why[:200]
	}
	if why == "" {
		why = "no reason given"
	}
	reason := fmt.Sprintf("%s %s: %s", kioskBlockPrefix, ss.kiosk, why)
	if m.Fixed[0] == 'Y' {
		reason = fmt.Sprintf("%s %s (card kept in the machine): %s", kioskBlockPrefix, ss.kiosk, why)
	}
	if _, err := ss.lib.blocks.BlockPatron(ctx, p.PatronID, reason); err != nil {
		return ss.patronStatusResp(ctx, PatronStatusResp, m, &patronView{msg: ss.say(err)})
	}
	ss.lg.Warn("kiosk blocked a patron", "kiosk", ss.kiosk, "patron", p.PatronID)
	v, err := ss.view(ctx, &Message{Code: m.Code, Fields: []Field{{"AA", p.Cardnumber}}})
	if err != nil {
		return ss.patronStatusResp(ctx, PatronStatusResp, m, &patronView{msg: ss.say(err)})
	}
	v.msg = ss.T("block.blocked")
	if m.Fixed[0] == 'Y' {
		v.msg = ss.T("block.kept")
	}
	return ss.patronStatusResp(ctx, PatronStatusResp, m, v)
}

func sayOr(ss *session, err error, msg string) string {
	if err != nil {
		return ss.say(err)
	}
	return msg
}

// patronEnable answers 25 with 26: with the right PIN, a block that a
// kiosk placed is lifted; staff blocks stay.
func (ss *session) patronEnable(ctx context.Context, m *Message) *Message {
	p, refused := ss.patronFor(ctx, m)
	if p == nil {
		return ss.patronStatusResp(ctx, PatronEnableResp, m, &patronView{msg: refused})
	}
	if refused != "" {
		v, verr := ss.view(ctx, &Message{Code: m.Code, Fields: []Field{{"AA", p.Cardnumber}}})
		if verr != nil {
			v = &patronView{}
		}
		v.msg = refused
		return ss.patronStatusResp(ctx, PatronEnableResp, m, v)
	}
	msg := ""
	switch {
	case p.Blocked && strings.HasPrefix(p.BlockReason, kioskBlockPrefix):
		if _, err := ss.lib.blocks.UnblockPatron(ctx, p.PatronID); err != nil {
			msg = ss.say(err)
		} else {
			ss.lg.Info("kiosk lifted its own block", "kiosk", ss.kiosk, "patron", p.PatronID)
			msg = ss.T("enable.ok")
		}
	case p.Blocked:
		msg = ss.T("enable.staff")
	}
	v, err := ss.view(ctx, &Message{Code: m.Code, Fields: []Field{{"AA", p.Cardnumber}}})
	if err != nil {
		return ss.patronStatusResp(ctx, PatronEnableResp, m, &patronView{msg: ss.say(err)})
	}
	// CQ says whether the PIN sent in this message (AD) was right, as in 24:
	// N when none was sent, though the patron may act on a PIN remembered
	// from earlier in the session or with no PIN required. The 3M SIP2
	// 2.00 guide (78-6970-7216-9, "valid patron password") gives CQ two
	// values: Y, the password is valid, and N, it is not; a blank is not
	// one, and no password is no valid password.
	v.pinOK = m.Value("AD") != ""
	if msg != "" {
		v.msg = msg
	}
	return ss.patronStatusResp(ctx, PatronEnableResp, m, v)
}

// endSession answers 35 with 36 and forgets the patron's PIN.
func (ss *session) endSession(ctx context.Context, m *Message) *Message {
	ss.authPatron, ss.authAt = "", time.Time{}
	r := &Message{Code: EndSessionResp, Fixed: "Y" + ss.now()}
	return r.Add("AO", ss.institution(ctx)).Add("AA", m.Value("AA")).Add("AF", ss.T("goodbye"))
}
