package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"stacks/hardware/rfid"
	"stacks/hardware/sip2"
)

// The kiosk's RFID pad. With --rfid sim the kiosk has a simulated reader
// (hardware/rfid.SimPad) loaded from a pad file (--rfid-pad) and/or tags
// named on the command line (--rfid-tags); script lines and the menu then
// check out or return everything on the pad at once. A tag's item ID goes
// to the ACS as the item's barcode; the tag's security (AFI or EAS) is
// cleared when the ACS says desensitize and set when it says resensitize.
// An item in several parts is lent only when every part is on the pad.

type rfidOptions struct {
	reader   string // "" or "sim"
	padFile  string
	tags     string
	security string
}

func registerRFIDFlags(fs *flag.FlagSet, o *rfidOptions) {
	fs.StringVar(&o.reader, "rfid", "", `RFID reader: "sim" for a simulated pad (empty: none)`)
	fs.StringVar(&o.padFile, "rfid-pad", "", "pad file of tags to lay on the simulated pad (see README, RFID)")
	fs.StringVar(&o.tags, "rfid-tags", "", "tags to lay on the simulated pad: BARCODE[:PART/PARTS], comma-separated")
	fs.StringVar(&o.security, "rfid-security", "afi", "how the library's gates read security: afi, eas or both")
}

// rfidPad is the kiosk's reader; sim is set for the simulated one (the
// pad commands of scripts need it).
type rfidPad struct {
	r   rfid.Reader
	sim *rfid.SimPad
}

func openRFID(o rfidOptions) (*rfidPad, error) {
	switch o.reader {
	case "":
		if o.padFile != "" || o.tags != "" {
			return nil, fmt.Errorf("--rfid-pad and --rfid-tags need --rfid sim")
		}
		return nil, nil
	case "sim":
	default:
		return nil, fmt.Errorf("--rfid %q: the kiosk knows only the simulated reader (sim)", o.reader)
	}
	mode, err := rfid.ParseSecurityMode(o.security)
	if err != nil {
		return nil, err
	}
	p := &rfidPad{sim: rfid.NewSimPad(mode)}
	p.r = p.sim
	if o.padFile != "" {
		f, err := os.Open(o.padFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := p.load(f); err != nil {
			return nil, fmt.Errorf("%s: %w", o.padFile, err)
		}
	}
	for _, s := range strings.Split(o.tags, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if err := p.put(strings.Fields(strings.ReplaceAll(s, ":", " "))); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// load reads a pad file: one tag a line, "BARCODE [PART/PARTS] [danish|
// iso28560-2] [secured|unsecured]", # comments. Tags are written in the
// Danish model (ISO 28560-3) unless the line says iso28560-2, and are
// secured unless it says unsecured.
func (p *rfidPad) load(r io.Reader) error {
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if err := p.put(f); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	return sc.Err()
}

// put lays one tag on the simulated pad from the fields of a pad line.
func (p *rfidPad) put(f []string) error {
	tag := &rfid.Tag{ItemID: f[0], Usage: rfid.UsageCirculating << 4, PartsInSet: 1, PartNumber: 1}
	format, secured := rfid.FormatDanish, true
	for _, w := range f[1:] {
		switch {
		case w == "danish" || w == "iso28560-3":
		case w == "iso28560-2":
			format = rfid.FormatOID
		case w == "secured":
		case w == "unsecured":
			secured = false
		case strings.Contains(w, "/"):
			a, b, _ := strings.Cut(w, "/")
			part, err1 := strconv.Atoi(a)
			parts, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil || part < 1 || part > parts || parts > 255 {
				return fmt.Errorf("%q is not PART/PARTS", w)
			}
			tag.PartNumber, tag.PartsInSet = part, parts
		default:
			return fmt.Errorf("%q: want PART/PARTS, danish, iso28560-2, secured or unsecured", w)
		}
	}
	_, err := p.sim.PutItem(format, tag, secured)
	return err
}

// remove takes the tags of barcode (or only its part PART) off the pad.
func (p *rfidPad) remove(ctx context.Context, barcode string, part int) (int, error) {
	pad, err := rfid.ReadPad(ctx, p.r)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range pad {
		if t.Tag != nil && t.Tag.ItemID == barcode && (part == 0 || t.Tag.PartNumber == part) {
			p.sim.Remove(t.Info.UID)
			n++
		}
	}
	return n, nil
}

func (k *kiosk) rfidContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// setSecurity secures or unsecures every tag of it; false if one failed.
func (k *kiosk) setSecurity(ctx context.Context, it rfid.Item, secured bool) bool {
	ok := true
	for _, uid := range it.UIDs() {
		if err := k.rfid.r.SetSecurity(ctx, uid, secured); err != nil {
			ok = false
		}
	}
	return ok
}

func partList(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// padItems reads the pad; the unreadable tags come back as refusals.
func (k *kiosk) padItems(ctx context.Context) ([]rfid.Item, []padResult, error) {
	if k.rfid == nil {
		return nil, nil, fmt.Errorf("no RFID reader: start the kiosk with --rfid sim")
	}
	pad, err := rfid.ReadPad(ctx, k.rfid.r)
	if err != nil {
		return nil, nil, err
	}
	items, bad := rfid.Items(pad)
	var out []padResult
	for _, b := range bad {
		out = append(out, padResult{id: b.Info.UID, result: result{msg: k.T("rfid.unreadable")}})
	}
	if len(items) == 0 && len(bad) == 0 {
		out = append(out, padResult{result: result{msg: k.T("rfid.pad_empty")}})
	}
	return items, out, nil
}

// padResult is one item's outcome on the pad.
type padResult struct {
	id string // the item ID (or a tag's UID)
	result
}

func (r padResult) String() string {
	if r.id == "" {
		return r.result.String()
	}
	return r.id + " " + r.result.String()
}

// padCheckout lends every complete item on the pad to the identified
// patron and clears its tags' security; an item with a part missing is
// refused by name and the rest of the pad still goes.
func (k *kiosk) padCheckout() ([]padResult, error) {
	if k.card == "" {
		return nil, errNoPatron
	}
	ctx, cancel := k.rfidContext()
	defer cancel()
	items, out, err := k.padItems(ctx)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if !it.Complete() {
			out = append(out, padResult{it.ItemID, result{msg: k.T("rfid.part_missing", it.ItemID, partList(it.Missing()), it.Parts)}})
			continue
		}
		r, err := k.cl.Checkout(k.inst, k.card, k.pin, it.ItemID)
		if err != nil {
			return out, err
		}
		if r.Code != sip2.CheckoutResp || r.Fixed[0] != '1' {
			out = append(out, padResult{it.ItemID, result{msg: r.Value("AF")}})
			continue
		}
		if r.Fixed[3] == 'Y' && !k.setSecurity(ctx, it, false) {
			// The tags could not be unsecured: the gate would alarm, so
			// the checkout is cancelled (11 with BI=Y).
			k.cl.Do(sip2.Req(sip2.Checkout, "YN"+stamp()+strings.Repeat(" ", 18), "AO", k.inst, "AA", k.card,
				"AB", it.ItemID, "AC", "", "AD", k.pin, "BI", "Y"))
			out = append(out, padResult{it.ItemID, result{msg: k.T("rfid.security_failed", it.ItemID)}})
			continue
		}
		section := secCheckedOut
		if r.Fixed[1] == 'Y' {
			section = secRenewed
		}
		k.record(section, r, r.Value("AJ"))
		out = append(out, padResult{it.ItemID, result{ok: true, msg: r.Value("AF")}})
	}
	return out, nil
}

// padCheckin returns everything on the pad, secures the tags when the ACS
// says resensitize, and says which sorting bin each item goes to.
func (k *kiosk) padCheckin() ([]padResult, error) {
	ctx, cancel := k.rfidContext()
	defer cancel()
	items, out, err := k.padItems(ctx)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		r, err := k.cl.Checkin(k.inst, k.location, it.ItemID)
		if err != nil {
			return out, err
		}
		if r.Code != sip2.CheckinResp || r.Fixed[0] != '1' {
			out = append(out, padResult{it.ItemID, result{msg: r.Value("AF")}})
			continue
		}
		msg := r.Value("AF")
		if r.Fixed[1] == 'Y' && !k.setSecurity(ctx, it, true) {
			msg += " " + k.T("rfid.security_failed", it.ItemID)
		}
		if !it.Complete() {
			msg += " " + k.T("rfid.return_part_missing", partList(it.Missing()), it.Parts)
		}
		if bin := r.Value("CL"); bin != "" {
			msg += " " + k.T("rfid.sort_bin", bin)
		}
		if k.lines != nil {
			k.lines[secReturned] = append(k.lines[secReturned], r.Value("AJ"))
		}
		out = append(out, padResult{it.ItemID, result{ok: true, msg: msg}})
	}
	return out, nil
}

func stamp() string { return time.Now().Format("20060102    150405") }

// padScript runs a script's pad lines: "pad put BARCODE [PART/PARTS] ...",
// "pad remove BARCODE [PART]", "pad clear", "pad show", "pad-checkout",
// "pad-checkin". It prints one line per item.
func (k *kiosk) padScript(f []string) error {
	ctx, cancel := k.rfidContext()
	defer cancel()
	if k.rfid == nil {
		return fmt.Errorf("no RFID reader: start the kiosk with --rfid sim")
	}
	switch {
	case f[0] == "pad-override":
		if len(f) != 3 {
			return fmt.Errorf("pad-override: want pad-override STAFF-USER PASSWORD")
		}
		rs, err := k.padOverride(f[1], f[2])
		for _, r := range rs {
			fmt.Fprintf(k.out, "%s %s\n", f[0], r)
		}
		return err
	case f[0] == "pad-checkout" || f[0] == "pad-checkin":
		do := k.padCheckout
		if f[0] == "pad-checkin" {
			do = k.padCheckin
		}
		rs, err := do()
		for _, r := range rs {
			fmt.Fprintf(k.out, "%s %s\n", f[0], r)
		}
		return err
	case len(f) >= 3 && f[1] == "put":
		return k.rfid.put(f[2:])
	case len(f) >= 3 && f[1] == "remove":
		part := 0
		if len(f) > 3 {
			part, _ = strconv.Atoi(f[3])
		}
		n, err := k.rfid.remove(ctx, f[2], part)
		if err == nil && n == 0 {
			err = fmt.Errorf("no tag of %s on the pad", f[2])
		}
		return err
	case len(f) == 2 && f[1] == "clear":
		k.rfid.sim.Clear()
		return nil
	case len(f) == 2 && f[1] == "show":
		pad, err := rfid.ReadPad(ctx, k.rfid.r)
		if err != nil {
			return err
		}
		for _, t := range pad {
			sec := "unsecured"
			if t.Info.Secured(k.rfid.sim.Mode()) {
				sec = "secured"
			}
			if t.Err != nil {
				fmt.Fprintf(k.out, "pad %s unreadable %s\n", t.Info.UID, sec)
				continue
			}
			fmt.Fprintf(k.out, "pad %s %d/%d %s %s\n", t.Tag.ItemID, t.Tag.PartNumber, t.Tag.PartsInSet, t.Tag.Format, sec)
		}
		return nil
	}
	return fmt.Errorf("pad: want put BARCODE [PART/PARTS], remove BARCODE [PART], clear or show")
}

// padOverride is the staff override of a set: an item whose parts are
// not all on the pad is lent on a staff member's word (a part is lost and
// the library lends the rest, say). Staff give their own login at the
// kiosk; it must be a staff login that may lend (circulation), not a
// kiosk account, as the appliance says (GET /api/v1/auth/me). Each
// incomplete item on the pad is checked out through the API as that
// staff member, so the loan names who overrode, and the tags that are
// on the pad are unsecured. Complete items are left to t.
func (k *kiosk) padOverride(user, password string) ([]padResult, error) {
	if k.card == "" {
		return nil, errNoPatron
	}
	if k.help == nil || k.help.desk == nil {
		return []padResult{{result: result{msg: k.T("rfid.override_unavailable")}}}, nil
	}
	staff := *k.help.desk
	staff.user, staff.password = user, password
	ctx, cancel := k.rfidContext()
	defer cancel()
	var me struct {
		Username    string   `json:"username"`
		Role        string   `json:"role"`
		Permissions []string `json:"permissions"`
	}
	if err := staff.call(ctx, "GET", "/api/v1/auth/me", nil, &me); err != nil || me.Role == "kiosk" || !slices.Contains(me.Permissions, "circulation") {
		var ae *apiError
		if err != nil && !errors.As(err, &ae) {
			return nil, err
		}
		return []padResult{{result: result{msg: k.T("rfid.override_refused")}}}, nil
	}
	items, out, err := k.padItems(ctx)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, it := range items {
		if it.Complete() {
			continue
		}
		n++
		err := staff.call(ctx, "POST", "/api/v1/checkouts", map[string]string{"cardnumber": k.card, "barcode": it.ItemID}, nil)
		var ae *apiError
		switch {
		case errors.As(err, &ae):
			out = append(out, padResult{it.ItemID, result{msg: ae.detail}})
			continue
		case err != nil:
			return out, err
		}
		msg := k.T("rfid.override_done", it.ItemID, me.Username, partList(it.Missing()), it.Parts)
		if !k.setSecurity(ctx, it, false) {
			msg += " " + k.T("rfid.security_failed", it.ItemID)
		}
		if k.lines != nil {
			k.lines[secCheckedOut] = append(k.lines[secCheckedOut], it.ItemID)
		}
		out = append(out, padResult{it.ItemID, result{ok: true, msg: msg}})
	}
	if n == 0 && len(out) == 0 {
		out = append(out, padResult{result: result{msg: k.T("rfid.override_none")}})
	}
	return out, nil
}

// padMenu is the interactive screen's pad choices (t: check out the pad,
// u: return the pad, s: the staff override of a set missing a part);
// false if choice is not one of them.
func (k *kiosk) padMenu(choice string, ask, askSecret func(string) (string, bool)) (bool, error) {
	if k.rfid == nil || (choice != "t" && choice != "u" && choice != "s") {
		return false, nil
	}
	do := k.padCheckout
	switch choice {
	case "u":
		do = k.padCheckin
	case "s":
		user, ok := ask(k.T("rfid.staff_user"))
		if !ok || user == "" {
			return true, nil
		}
		pass, ok := askSecret(k.T("rfid.staff_password"))
		if !ok {
			return true, nil
		}
		do = func() ([]padResult, error) { return k.padOverride(user, pass) }
	}
	rs, err := do()
	for _, r := range rs {
		mark := "✓"
		if !r.ok {
			mark = "✗"
		}
		k.printf("%s %s: %s\n", mark, r.id, r.msg)
	}
	return true, err
}
