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
			return fail(sayOr(ss, nilIfNotFound(err), errNoItem.Message))
		}
		biblioID, title = item.BiblioID, item.Title
	case titleID != "":
		b, err := ss.lib.catalogue.Biblio(ctx, titleID)
		if err != nil {
			return fail(sayOr(ss, nilIfNotFound(err), "We could not find that title. Please scan a copy of it or ask at the desk."))
		}
		biblioID, title = b.BiblioID, b.Title
	default:
		return fail("Please scan a copy of the title you want to reserve.")
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
		msg := "Your hold on " + title + " is placed"
		if h.Priority > 0 {
			msg += fmt.Sprintf("; you are number %d in the queue", h.Priority)
		}
		msg += ". We will tell you when it is ready to collect at " + h.PickupBranch + "."
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
			return r.Add("AJ", title).Add("AF", "Your hold on "+title+" is cancelled.")
		}
		return fail("You have no hold on " + title + ".")
	default:
		return fail("Holds cannot be changed here. Please ask at the desk.")
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
