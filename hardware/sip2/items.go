package sip2

import (
	"context"
	"fmt"

	"stacks/branch/domain"
)

// circulationStatus is SIP2's item status for ours.
func circulationStatus(s string) string {
	switch s {
	case domain.ItemAvailable:
		return "03"
	case domain.ItemCheckedOut:
		return "04"
	case domain.ItemOnHoldShelf:
		return "08"
	case domain.ItemInTransit:
		return "10"
	case domain.ItemLost:
		return "12"
	case domain.ItemMissing:
		return "13"
	}
	return "01" // other: damaged, withdrawn
}

// mediaType is SIP2's media type (CK) for a catalogue format.
func mediaType(format string) string {
	switch format {
	case "book", "large_print", "score", "map":
		return "001"
	case "serial":
		return "002"
	case "audiobook":
		return "004"
	case "dvd", "bluray", "video":
		return "005"
	case "music_cd", "game":
		return "006"
	}
	return "000"
}

// itemInfo answers 17 with 18.
func (ss *session) itemInfo(ctx context.Context, m *Message) *Message {
	barcode := m.Value("AB")
	fail := func(msg string) *Message {
		r := &Message{Code: ItemInfoResp, Fixed: "01" + "00" + "01" + ss.now()}
		return r.Add("AB", barcode).Add("AJ", "").Add("AF", msg)
	}
	if err := ss.loggedIn(); err != nil {
		return fail(ss.say(err))
	}
	it, err := ss.lib.catalogue.ItemByBarcode(ctx, barcode)
	if err != nil {
		return fail(ss.say(cmpErr(nilIfNotFound(err), errNoItem)))
	}
	r := &Message{Code: ItemInfoResp, Fixed: circulationStatus(it.Status) + "00" + "01" + ss.now()}
	if q, err := ss.lib.catalogue.TitleQueue(ctx, it.BiblioID); err == nil && len(q) > 0 {
		r.Add("CF", fmt.Sprint(len(q)))
	}
	if it.Status == domain.ItemCheckedOut {
		if l, err := ss.lib.itemLoans.OpenLoan(ctx, it.ItemID); err == nil && l != nil {
			r.Add("AH", dueStamp(l.DueDate))
		}
	}
	r.Add("AB", it.Barcode).Add("AJ", it.Title).Add("BG", it.HomeBranch).Add("AQ", it.HomeBranch).Add("AP", it.Location)
	if it.TransitTo != "" {
		r.Add("CT", it.TransitTo)
	}
	if b, err := ss.lib.catalogue.Biblio(ctx, it.BiblioID); err == nil {
		r.Add("CK", mediaType(b.Format))
	}
	if it.CallNumber != "" {
		r.Add("CS", it.CallNumber)
	}
	if it.Properties != "" {
		r.Add("CH", it.Properties)
	}
	return r
}

// itemStatusUpdate answers 19 with 20: it sets the item's properties (CH)
// through branch, as the kiosk, and echoes what is stored. The fixed field
// "item properties ok" is 1 when they were set, else 0 with the reason in
// AF.
func (ss *session) itemStatusUpdate(ctx context.Context, m *Message) *Message {
	barcode := m.Value("AB")
	fail := func(title, msg string) *Message {
		r := &Message{Code: ItemStatusResp, Fixed: "0" + ss.now()}
		return r.Add("AB", barcode).Add("AJ", title).Add("AF", msg)
	}
	if err := ss.loggedIn(); err != nil {
		return fail(ss.itemTitle(ctx, barcode), ss.say(err))
	}
	it, err := ss.lib.catalogue.ItemByBarcode(ctx, barcode)
	switch c := domain.ErrorCode(err); {
	case err == nil:
	case c == domain.CodeItemNotFound || c == domain.CodeBadBarcode:
		return fail("", ss.T("item.unknown"))
	default:
		return fail("", ss.say(err))
	}
	props, ok := m.Get("CH")
	if !ok {
		return fail(it.Title, ss.T("item.no_properties"))
	}
	updated, err := ss.lib.items.UpdateItem(ctx, it.ItemID, domain.ItemUpdate{Properties: &props})
	if err != nil {
		ss.lg.Info("item properties refused", "kiosk", ss.kiosk, "item", printable(barcode), "code", domain.ErrorCode(err))
		return fail(it.Title, ss.say(err))
	}
	r := &Message{Code: ItemStatusResp, Fixed: "1" + ss.now()}
	return r.Add("AB", barcode).Add("AJ", updated.Title).Add("CH", updated.Properties).Add("AF", ss.T("item.updated"))
}
