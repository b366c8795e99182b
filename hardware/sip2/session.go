package sip2

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"stacks/branch/domain"
)

// session is one kiosk connection. It keeps what the kiosk told it (who it
// is, where, its character set) and whose PIN it has seen; the context of
// its transactions is passed to each message's handler, never kept.
type session struct {
	srv  *Server
	lib  *parts // srv.lib
	conn net.Conn
	br   *bufio.Reader
	buf  []byte // the message being read
	out  []byte // the response being written
	lg   *slog.Logger

	kiosk    string  // the kiosk account, once logged in
	location string  // the kiosk's location code (CP), else its branch
	inst     string  // the institution ID, cached once logged in
	cs       charset // the kiosk account's character set, from login on
	// authPatron is the patron who proved their PIN in this session, and
	// authAt when they last transacted (see rememberPIN).
	authPatron string
	authAt     time.Time
	// handoffCode is the handoff code this session redeemed, and
	// handoffPatron its patron; handoffNote what the next answer says
	// about it (handoff.go).
	handoffCode, handoffPatron, handoffNote string
	// last is the last response sent, for 97.
	last *Message
	// lang is the language the kiosk last named (23, 63), "" for none;
	// authLang the preference of authPatron; cur is the language of the
	// answer being made (texts.go).
	lang, authLang, cur string
}

type handler func(ss *session, ctx context.Context, m *Message) *Message

// handlers maps each request code to its handler.
var handlers = map[string]handler{
	SCStatus:         (*session).scStatus,
	Login:            (*session).login,
	PatronStatus:     (*session).patronStatus,
	PatronInfo:       (*session).patronInfo,
	BlockPatron:      (*session).blockPatron,
	PatronEnable:     (*session).patronEnable,
	EndSession:       (*session).endSession,
	Checkout:         (*session).checkout,
	Checkin:          (*session).checkin,
	Renew:            (*session).renew,
	RenewAll:         (*session).renewAll,
	Hold:             (*session).hold,
	FeePaid:          (*session).feePaid,
	ItemInfo:         (*session).itemInfo,
	ItemStatusUpdate: (*session).itemStatusUpdate,
}

// supportedOrder is the order of the 16 requests in the BX field of 98.
var supportedOrder = []string{PatronStatus, Checkout, Checkin, BlockPatron, SCStatus, RequestACSResend, Login,
	PatronInfo, EndSession, FeePaid, ItemInfo, ItemStatusUpdate, PatronEnable, Hold, Renew, RenewAll}

// notSupported are requests we answer but cannot carry out (none now: 19
// sets item properties since branch stores them).
var notSupported = map[string]bool{}

// supportedMessages is BX: Y for each request we carry out. A test checks
// it against the handlers.
const supportedMessages = "YYYYYYYYYYYYYYYY"

// requestSCResend is 96, sent when a message's checksum is wrong. It never
// carries a sequence number.
var requestSCResend = &Message{Code: RequestSCResend, Seq: -1, Checksummed: true}

// handle answers one raw message, or returns nil to send nothing. The
// answer is valid until the next call. ctx is the session's; the message's
// transactions run in it as the kiosk.
func (ss *session) handle(ctx context.Context, line []byte) []byte {
	m, err := Decode(line)
	switch {
	case errors.Is(err, ErrChecksum):
		ss.lg.Warn("bad checksum; asking the kiosk to resend", "kiosk", ss.kiosk, "code", m.Code)
		return ss.encode(requestSCResend)
	case errors.Is(err, ErrUnknown):
		ss.lg.Warn("unknown message type; skipped", "kiosk", ss.kiosk, "code", printable(m.Code), "bytes", len(line))
		return nil
	case err != nil:
		ss.lg.Warn("malformed message; skipped", "kiosk", ss.kiosk, "code", printable(m.Code), "err", err)
		return nil
	}
	if m.Code == RequestACSResend {
		return ss.resend(m)
	}
	h, ok := handlers[m.Code]
	if !ok {
		ss.lg.Warn("message is not a request; skipped", "kiosk", ss.kiosk, "code", m.Code)
		return nil
	}
	for _, f := range m.Fields {
		if !knownField(m.Code, f.Tag) {
			ss.lg.Warn("unsupported field; skipped", "kiosk", ss.kiosk, "code", m.Code, "field", printable(f.Tag))
		}
	}
	ss.cs.decodeFields(m)
	ctx = domain.WithActor(ctx, ss.actor())
	ss.startAnswer(m)
	start := time.Now()
	resp := h(ss, ctx, m)
	resp.Seq, resp.Checksummed = m.Seq, m.Checksummed
	ss.last = resp
	if ss.lg.Enabled(ctx, slog.LevelDebug) {
		ss.lg.Debug("message", "kiosk", ss.kiosk, "code", m.Code, "resp", resp.Code, "took", time.Since(start))
	}
	return ss.encode(resp)
}

// encode renders m into the session's output buffer, in the kiosk's
// character set (the checksum is of the bytes sent).
func (ss *session) encode(m *Message) []byte {
	ss.out = ss.cs.encode(m).AppendTo(ss.out[:0])
	return ss.out
}

// resend answers 97: the last response again, with a fresh checksum and
// the 97's own sequence number (if any), or 96 if nothing was sent yet.
func (ss *session) resend(m *Message) []byte {
	if ss.last == nil {
		return ss.encode(requestSCResend)
	}
	r := *ss.last
	r.Seq, r.Checksummed = m.Seq, m.Checksummed || ss.last.Checksummed
	return ss.encode(&r)
}

func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return '?'
		}
		return r
	}, s)
}

func (ss *session) actor() domain.Actor {
	id := ss.kiosk
	if id == "" {
		id = "sip2-unauthenticated"
	}
	return domain.Actor{ID: id, Role: domain.RoleKiosk, Channel: domain.ChannelKiosk}
}

// stamp is SIP2's 18-character date: YYYYMMDDZZZZHHMMSS, local time
// (the zone as four blanks).
func stamp(t time.Time) string { return t.Format("20060102") + "    " + t.Format("150405") }

func (ss *session) now() string { return stamp(ss.lib.site.Now()) }

// dueStamp turns a due date (YYYY-MM-DD) into SIP2's date, end of day.
func dueStamp(d string) string {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		return ""
	}
	return t.Format("20060102") + "    235900"
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// institution is our institution ID (AO), read once per login or SC
// status and then remembered for the session.
func (ss *session) institution(ctx context.Context) string {
	if ss.inst != "" {
		return ss.inst
	}
	inst := ss.lib.site.Branch()
	if l, err := ss.lib.site.Library(ctx, inst); err == nil && l.InstitutionID != "" {
		inst = l.InstitutionID
	}
	if ss.kiosk != "" {
		ss.inst = inst
	}
	return inst
}

// errNotLoggedIn refuses transactions before a 93 login.
var errNotLoggedIn = &domain.Error{Code: domain.CodeNotLoggedIn, Message: "This self-check machine is not signed in. Please ask at the desk."}

func (ss *session) loggedIn() error {
	if ss.kiosk == "" {
		return errNotLoggedIn
	}
	return nil
}

// say turns an error into words for the patron's screen.
func (ss *session) say(err error) string {
	var be *domain.Error
	if errors.As(err, &be) && (be.Message != "" || ss.cur != "en") {
		return ss.refusal(be)
	}
	ss.lg.Error("transaction failed", "kiosk", ss.kiosk, "err", err)
	return ss.T("error.internal")
}

// findPatron looks up a card; an unknown or malformed card is (nil, nil).
func (ss *session) findPatron(ctx context.Context, card string) (*domain.Patron, error) {
	if card == "" {
		return nil, nil
	}
	p, err := ss.lib.patrons.PatronByCard(ctx, card)
	switch code := domain.ErrorCode(err); {
	case err == nil:
		ss.patronLanguage(p)
		return p, nil
	case code == domain.CodePatronNotFound || code == domain.CodeInvalid:
		if p, ok, err := ss.handoffCard(ctx, card); ok {
			ss.patronLanguage(p)
			return p, err
		}
		return nil, nil
	default:
		return nil, err
	}
}

// pinCheck verifies the message's PIN (AD) for p, if it has one. given is
// whether a PIN was sent; ok whether it is right; err is the refusal to
// show (wrong PIN, locked) or a failure. A right PIN is remembered for p; a
// wrong one forgets whatever PIN the session remembered.
func (ss *session) pinCheck(ctx context.Context, p *domain.Patron, m *Message) (given, ok bool, err error) {
	pin := m.Value("AD")
	if pin == "" {
		return false, false, nil
	}
	if pid, ok, err := ss.handoff(ctx, pin); ok {
		switch {
		case err != nil:
			return true, false, err
		case pid != p.PatronID:
			ss.authPatron = ""
			return true, false, errHandoffOther
		}
		return true, true, nil
	}
	if err := ss.srv.cfg.PINs.VerifyPIN(ctx, p.Cardnumber, pin); err != nil {
		ss.lg.Info("wrong patron PIN", "kiosk", ss.kiosk, "code", domain.ErrorCode(err))
		ss.authPatron = ""
		if domain.ErrorCode(err) == domain.CodeBadCredentials {
			err = errWrongPIN
		}
		return true, false, err
	}
	ss.authPatron, ss.authAt, ss.authLang = p.PatronID, ss.lib.site.Now(), p.Language
	return true, true, nil
}

// rememberPIN reports whether p proved their PIN earlier in this session,
// and if so keeps it for another PINMemory. A remembered PIN lapses after
// PINMemory without a transaction of p's, at an end of session (35), at
// another patron's right PIN, and at any wrong PIN: kiosks that never send
// 35 must not leave a patron signed in for the next person at the screen.
func (ss *session) rememberPIN(p *domain.Patron) bool {
	now := ss.lib.site.Now()
	if ss.authPatron != p.PatronID || now.Sub(ss.authAt) >= ss.srv.cfg.PINMemory {
		return false
	}
	ss.authAt = now
	return true
}

var (
	errWrongPIN = &domain.Error{Code: domain.CodeBadCredentials, Message: "That PIN is not right. Please try again."}
	errNeedPIN  = &domain.Error{Code: domain.CodePINRequired, Message: "Please enter your PIN first."}
	errNoCard   = &domain.Error{Code: domain.CodePatronNotFound, Message: "We do not recognise this card. Please ask at the desk."}
)

// mayAct checks that p may transact now: a right PIN in this message or
// remembered from earlier in the session, or no PIN required by the config.
func (ss *session) mayAct(ctx context.Context, p *domain.Patron, m *Message) error {
	given, ok, err := ss.pinCheck(ctx, p, m)
	switch {
	case err != nil:
		return err
	case given && ok:
		return nil
	case ss.rememberPIN(p) || !ss.srv.cfg.RequirePIN:
		return nil
	}
	return errNeedPIN
}

// patronFor is the preamble of every patron transaction (11, 15, 25, 29,
// 37, 65): the kiosk is logged in, the card (AA) names a patron, and the
// patron may act now (mayAct). It returns the patron, and the words to show
// instead when the transaction may not go ahead; the patron is returned
// with them when the card was known (the answer's BL says so).
func (ss *session) patronFor(ctx context.Context, m *Message) (*domain.Patron, string) {
	if err := ss.loggedIn(); err != nil {
		return nil, ss.say(err)
	}
	p, err := ss.findPatron(ctx, m.Value("AA"))
	if err != nil || p == nil {
		return nil, ss.say(cmpErr(err, errNoCard))
	}
	if err := ss.mayAct(ctx, p, m); err != nil {
		return p, ss.say(err)
	}
	return p, ""
}

// cmpErr is err, or def when err is nil.
func cmpErr(err error, def *domain.Error) error {
	if err != nil {
		return err
	}
	return def
}

// money renders cents as SIP2 amounts ("12.50").
func money(cents int64) string { return domain.Money(cents) }
