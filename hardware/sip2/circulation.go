package sip2

import (
	"context"
	"strings"

	"stacks/branch/domain"
)

// itemTitle is the title of barcode, or "" if there is no such item.
func (ss *session) itemTitle(ctx context.Context, barcode string) string {
	if barcode == "" {
		return ""
	}
	if it, err := ss.lib.catalogue.ItemByBarcode(ctx, barcode); err == nil {
		return it.Title
	}
	return ""
}

// openLoanOf finds p's open loan of barcode.
func (ss *session) openLoanOf(ctx context.Context, p *domain.Patron, barcode string) (*domain.Loan, error) {
	loans, err := ss.lib.lists.PatronLoans(ctx, p.PatronID, false)
	if err != nil {
		return nil, err
	}
	for _, l := range loans {
		if l.Barcode == barcode {
			return l, nil
		}
	}
	return nil, nil
}

var errNoItem = &domain.Error{Code: domain.CodeItemNotFound, Message: "We do not recognise this item. Please take it to the desk."}

// checkout answers 11 with 12. With the SC renewal policy Y, checking out
// an item the patron already has renews it (branch's
// RenewIfOnLoanToPatron, in the one checkout command). BI=Y cancels the
// patron's checkout of the item (the kiosk could not desensitise it).
func (ss *session) checkout(ctx context.Context, m *Message) *Message {
	card, barcode := m.Value("AA"), m.Value("AB")
	p, refused := ss.patronFor(ctx, m)
	fail := func(msg string) *Message {
		r := &Message{Code: CheckoutResp, Fixed: "0NUN" + ss.now()}
		r.Add("AO", ss.institution(ctx)).Add("AA", card).Add("AB", barcode).Add("AJ", ss.itemTitle(ctx, barcode)).Add("AH", "")
		r.Add("AF", msg).Add("BL", yn(p != nil))
		return r
	}
	if refused != "" {
		return fail(refused)
	}
	if barcode == "" {
		return fail(ss.T("scan_item"))
	}
	noBlock := m.Fixed[1] == 'Y'
	if noBlock {
		ss.lg.Warn("no-block (offline) checkout from kiosk; checking it out under today's rules", "kiosk", ss.kiosk,
			"item", barcode, "transaction_date", printable(m.Fixed[2:20]))
	}
	var res *domain.CheckoutResult
	var err error
	ok := func(title, due string, renewed bool, msg string) *Message {
		r := &Message{Code: CheckoutResp, Fixed: "1" + yn(renewed) + "U" + yn(ss.desensitize(ctx, res.Item.ItemID, p.PatronID)) + ss.now()}
		r.Add("AO", ss.institution(ctx)).Add("AA", p.Cardnumber).Add("AB", barcode).Add("AJ", title).Add("AH", dueStamp(due))
		r.Add("AF", msg).Add("AG", ss.T("receipt.due", title, ss.date(due)))
		return r
	}
	if m.Value("BI") == "Y" {
		l, err := ss.openLoanOf(ctx, p, barcode)
		if err != nil || l == nil {
			return fail(sayOr(ss, err, ss.T("checkout.cancel_not_yours")))
		}
		if _, err := ss.lib.circ.Checkin(ctx, domain.CheckinRequest{ItemID: l.ItemID}); err != nil {
			return fail(ss.say(err))
		}
		r := &Message{Code: CheckoutResp, Fixed: "1NUN" + ss.now()}
		r.Add("AO", ss.institution(ctx)).Add("AA", p.Cardnumber).Add("AB", barcode).Add("AJ", l.Title).Add("AH", "")
		return r.Add("AF", ss.T("checkout.cancelled", l.Title))
	}
	res, err = ss.lib.circ.Checkout(ctx, domain.CheckoutRequest{PatronID: p.PatronID, Barcode: barcode,
		RenewIfOnLoanToPatron: m.Fixed[0] == 'Y'})
	switch code := domain.ErrorCode(err); {
	case err == nil:
	case code == domain.CodeAlreadyCheckedOut:
		return fail(ss.T("checkout.already"))
	default:
		if noBlock {
			ss.lg.Error("offline kiosk checkout could not be recorded; staff must reconcile it", "kiosk", ss.kiosk,
				"patron", p.PatronID, "item", barcode, "code", code)
		}
		if code == domain.CodeItemNotFound || code == domain.CodeInvalid {
			return fail(ss.say(errNoItem))
		}
		return fail(ss.say(err))
	}
	title, due := res.Item.Title, res.Loan.DueDate
	if res.Renewed {
		r := ok(title, due, true, ss.T("checkout.renewed", title, ss.date(due)))
		return withFine(r, ss, res.FineCents)
	}
	msg := ss.T("checkout.ok", title, ss.date(due))
	if res.HoldFilled != "" {
		msg += " " + ss.T("checkout.hold_filled")
	}
	r := ok(title, due, false, msg)
	// CH tells the kiosk what the copy is made of (e.g. "DVD 2 discs,
	// booklet"), so it can ask the patron to check every part.
	if res.Item.Properties != "" {
		r.Add("CH", res.Item.Properties)
	}
	return r
}

func withFine(r *Message, ss *session, cents int64) *Message {
	if cents > 0 {
		r.Add("BT", "04").Add("BH", ss.srv.cfg.Currency).Add("BV", money(cents))
	}
	return r
}

// alert types of the 3M checkin extension (CV).
const (
	alertHoldHere    = "01" // on the hold shelf here
	alertHoldTransit = "02" // for a hold at another branch
	alertTransit     = "04" // to go home to another branch
)

// checkin answers 09 with 10. On a hold trap or transit the alert is set
// and CT (destination), CV (alert type), CY/DA (hold patron) are filled.
func (ss *session) checkin(ctx context.Context, m *Message) *Message {
	barcode := m.Value("AB")
	fail := func(msg string, alert bool) *Message {
		r := &Message{Code: CheckinResp, Fixed: "0NU" + yn(alert) + ss.now()}
		r.Add("AO", ss.institution(ctx)).Add("AB", barcode)
		if t := ss.itemTitle(ctx, barcode); t != "" {
			r.Add("AJ", t)
		}
		if alert {
			r.Add("CV", "99")
		}
		return r.Add("AF", msg)
	}
	if err := ss.loggedIn(); err != nil {
		return fail(ss.say(err), false)
	}
	if barcode == "" {
		return fail(ss.T("scan_item"), false)
	}
	if m.Value("BI") == "Y" {
		return fail(ss.T("checkin.no_undo"), false)
	}
	if m.Fixed[0] == 'Y' {
		ss.lg.Warn("no-block (offline) checkin from kiosk; returned as of now", "kiosk", ss.kiosk, "item", barcode,
			"return_date", printable(m.Fixed[19:37]))
	}
	res, err := ss.lib.circ.Checkin(ctx, domain.CheckinRequest{Barcode: barcode})
	if err != nil {
		if c := domain.ErrorCode(err); c == domain.CodeItemNotFound || c == domain.CodeInvalid {
			return fail(ss.say(errNoItem), true)
		}
		return fail(ss.say(err), false)
	}
	it := res.Item
	alert := res.Action == domain.ActionHoldShelf || res.Action == domain.ActionTransit
	secure, stillOnLoan := ss.resensitize(ctx, it.ItemID)
	r := &Message{Code: CheckinResp, Fixed: "1" + yn(secure) + "U" + yn(alert) + ss.now()}
	r.Add("AO", ss.institution(ctx)).Add("AB", barcode).Add("AQ", it.HomeBranch).Add("AJ", it.Title)
	if bin := ss.sortBin(ctx, res); bin != "" {
		r.Add("CL", bin)
	}
	if res.Patron != nil {
		r.Add("AA", res.Patron.Cardnumber)
	}
	if it.CallNumber != "" {
		r.Add("CS", it.CallNumber)
	}
	if it.Properties != "" {
		r.Add("CH", it.Properties)
	}
	var words []string
	words = append(words, ss.T("checkin.ok", it.Title))
	if res.Loan == nil {
		words = append(words, ss.T("checkin.not_on_loan"))
	}
	if res.FineCents > 0 {
		words = append(words, ss.N("checkin.fine", res.DaysLate, money(res.FineCents)))
	}
	if stillOnLoan {
		words = append(words, ss.T("rfid.still_on_loan"))
	}
	switch res.Action {
	case domain.ActionHoldShelf:
		r.Add("CT", ss.lib.site.Branch())
	case domain.ActionTransit:
		r.Add("CT", res.TransitTo)
	}
	if res.Hold != nil && res.HoldPatron != nil && alert {
		r.Add("CY", res.HoldPatron.Cardnumber).Add("DA", res.HoldPatron.Name())
	}
	switch {
	case res.Action == domain.ActionHoldShelf:
		r.Add("CV", alertHoldHere)
		words = append(words, ss.T("checkin.hold_here"))
	case res.Action == domain.ActionTransit && res.Hold != nil:
		r.Add("CV", alertHoldTransit)
		words = append(words, ss.T("checkin.hold_transit"))
	case res.Action == domain.ActionTransit:
		r.Add("CV", alertTransit)
		words = append(words, ss.T("checkin.transit"))
	}
	r.Add("AF", strings.Join(words, " "))
	return r.Add("AG", ss.T("receipt.returned", it.Title))
}

// renew answers 29 with 30. Only the patron's own loans are renewed.
func (ss *session) renew(ctx context.Context, m *Message) *Message {
	card, barcode := m.Value("AA"), m.Value("AB")
	fail := func(msg string) *Message {
		r := &Message{Code: RenewResp, Fixed: "0NUN" + ss.now()}
		r.Add("AO", ss.institution(ctx)).Add("AA", card).Add("AB", barcode).Add("AJ", ss.itemTitle(ctx, barcode)).Add("AH", "")
		return r.Add("AF", msg)
	}
	p, refused := ss.patronFor(ctx, m)
	if refused != "" {
		return fail(refused)
	}
	if barcode == "" {
		return fail(ss.T("scan_item"))
	}
	l, err := ss.openLoanOf(ctx, p, barcode)
	if err != nil {
		return fail(ss.say(err))
	}
	if l == nil {
		if _, err := ss.lib.catalogue.ItemByBarcode(ctx, barcode); err != nil {
			return fail(ss.say(cmpErr(nilIfNotFound(err), errNoItem)))
		}
		return fail(ss.T("renew.not_yours"))
	}
	res, err := ss.lib.circ.Renew(ctx, domain.RenewRequest{LoanID: l.LoanID})
	if err != nil {
		return fail(ss.say(err))
	}
	r := &Message{Code: RenewResp, Fixed: "1YUN" + ss.now()}
	r.Add("AO", ss.institution(ctx)).Add("AA", p.Cardnumber).Add("AB", barcode).Add("AJ", l.Title).Add("AH", dueStamp(res.Loan.DueDate))
	r.Add("AF", ss.T("renew.ok", l.Title, ss.date(res.Loan.DueDate)))
	r.Add("AG", ss.T("receipt.due", l.Title, ss.date(res.Loan.DueDate)))
	return withFine(r, ss, res.FineCents)
}

// renewAll answers 65 with 66: every loan of the patron is tried.
func (ss *session) renewAll(ctx context.Context, m *Message) *Message {
	fail := func(msg string) *Message {
		r := &Message{Code: RenewAllResp, Fixed: "000000000" + ss.now()}
		return r.Add("AO", ss.institution(ctx)).Add("AF", msg)
	}
	p, refused := ss.patronFor(ctx, m)
	if refused != "" {
		return fail(refused)
	}
	loans, err := ss.lib.lists.PatronLoans(ctx, p.PatronID, false)
	if err != nil {
		return fail(ss.say(err))
	}
	var renewed, not []string
	var why []string
	for _, l := range loans {
		if _, err := ss.lib.circ.Renew(ctx, domain.RenewRequest{LoanID: l.LoanID}); err != nil {
			not = append(not, l.Barcode)
			if len(why) < 3 {
				why = append(why, ss.say(err))
			}
			continue
		}
		renewed = append(renewed, l.Barcode)
	}
	r := &Message{Code: RenewAllResp, Fixed: "1" + count4(len(renewed)) + count4(len(not)) + ss.now()}
	r.Add("AO", ss.institution(ctx))
	for _, b := range renewed {
		r.Add("BM", b)
	}
	for _, b := range not {
		r.Add("BN", b)
	}
	msg := ss.N("renew_all.renewed", len(renewed))
	if len(loans) == 0 {
		msg = ss.T("renew_all.none")
	}
	if len(not) > 0 {
		msg += " " + ss.N("renew_all.not", len(not), strings.Join(why, " "))
	}
	return r.Add("AF", msg)
}
