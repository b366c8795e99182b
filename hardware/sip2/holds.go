package sip2

import (
	"context"
	"fmt"

	"stacks/branch/domain"
)

// hold answers 15 with 16: mode + places a hold on the title of the item
// (AB) or the title id (AJ), - cancels the patron's hold on it. Changing a
// hold (*) is not offered at a kiosk.
func (ss *session) hold(ctx context.Context, m *Message) *Message {
	card, barcode, titleID := m.Value("AA"), m.Value("AB"), m.Value("AJ")
	fail := func(msg string) *Message {
		r := &Message{Code: HoldResp, Fixed: "0N" + ss.now()}
		r.Add("AO", ss.institution(ctx)).Add("AA", card)
		if barcode != "" {
			r.Add("AB", barcode)
		}
		return r.Add("AF", msg)
	}
	p, refused := ss.patronFor(ctx, m)
	if refused != "" {
		return fail(refused)
	}
	var item *domain.Item
	var biblioID, title string
	var err error
	switch {
	case barcode != "":
		if item, err = ss.lib.catalogue.ItemByBarcode(ctx, barcode); err != nil {
			return fail(ss.say(cmpErr(nilIfNotFound(err), errNoItem)))
		}
		biblioID, title = item.BiblioID, item.Title
	case titleID != "":
		b, err := ss.lib.catalogue.Biblio(ctx, titleID)
		if err != nil {
			return fail(sayOr(ss, nilIfNotFound(err), ss.T("hold.no_title")))
		}
		biblioID, title = b.BiblioID, b.Title
	default:
		return fail(ss.T("hold.scan"))
	}
	switch m.Fixed[0] {
	case '+':
		req := domain.HoldRequest{PatronID: p.PatronID, BiblioID: biblioID, PickupBranch: m.Value("BS")}
		if item != nil && m.Value("BY") == "3" { // a specific copy
			req.ItemID = item.ItemID
		}
		h, err := ss.lib.holds.PlaceHold(ctx, req)
		if err != nil {
			return fail(ss.say(err))
		}
		avail := item != nil && item.Status == domain.ItemAvailable
		r := &Message{Code: HoldResp, Fixed: "1" + yn(avail) + ss.now()}
		if h.ShelfExpires != "" {
			r.Add("BW", dueStamp(h.ShelfExpires))
		}
		if h.Priority > 0 {
			r.Add("BR", fmt.Sprint(h.Priority))
		}
		r.Add("BS", h.PickupBranch).Add("AO", ss.institution(ctx)).Add("AA", p.Cardnumber)
		if barcode != "" {
			r.Add("AB", barcode)
		}
		r.Add("AJ", title)
		msg := ss.T("hold.placed", title, h.PickupBranch)
		if h.Priority > 0 {
			msg = ss.T("hold.placed_queue", title, h.Priority, h.PickupBranch)
		}
		return r.Add("AF", msg)
	case '-':
		holds, err := ss.lib.lists.PatronHolds(ctx, p.PatronID)
		if err != nil {
			return fail(ss.say(err))
		}
		for _, h := range holds {
			if h.BiblioID != biblioID {
				continue
			}
			if _, err := ss.lib.holds.CancelHold(ctx, h.HoldID, "Cancelled by the patron at a self-check kiosk"); err != nil {
				return fail(ss.say(err))
			}
			r := &Message{Code: HoldResp, Fixed: "1N" + ss.now()}
			r.Add("AO", ss.institution(ctx)).Add("AA", p.Cardnumber)
			if barcode != "" {
				r.Add("AB", barcode)
			}
			return r.Add("AJ", title).Add("AF", ss.T("hold.cancelled", title))
		}
		return fail(ss.T("hold.none", title))
	default:
		return fail(ss.T("hold.no_change"))
	}
}

// nilIfNotFound hides not-found and invalid errors, so the caller's own
// words are shown.
func nilIfNotFound(err error) error {
	switch domain.ErrorCode(err) {
	case domain.CodeItemNotFound, domain.CodeBiblioNotFound, domain.CodeNotFound, domain.CodeInvalid:
		return nil
	}
	return err
}
