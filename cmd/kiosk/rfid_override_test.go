package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/hardware/rfid"
)

// TestKioskSetStaffOverride: an item in three parts with part 2 missing is
// refused at the pad; a kiosk account's login and a wrong password do not
// override; a circulation staff login does: the item is lent to the
// patron through the API as that staff member and the two tags on the pad
// are unsecured. Without the API the kiosk sends the patron to the desk.
func TestKioskSetStaffOverride(t *testing.T) {
	e := newHelpEnv(t)
	ctx := branchtest.Admin(context.Background())
	if _, err := e.svc.SetStaff(ctx, domain.NewStaff{Username: "anna", Role: domain.RoleCirculation, BranchID: "MAIN", Password: "anna-pass"}); err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.AddBiblio(ctx, domain.NewBiblio{Title: "Language course", Format: "book"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddItem(ctx, domain.NewItem{Barcode: "3900003", BiblioID: b.BiblioID, ItemType: "BOOK", HomeBranch: "MAIN", Properties: "book and 2 CDs"}); err != nil {
		t.Fatal(err)
	}
	pad, err := openRFID(rfidOptions{reader: "sim", tags: "3900003:1/3, 3900003:3/3"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	k, err := connect(cctx, options{acs: e.sip, api: e.api, user: "k1", password: "k1-pass", location: "LOBBY", lang: "en"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer k.cl.Close()
	k.rfid = pad
	if err := script(k, strings.NewReader("identify 2100009 1234\npad-checkout\npad-override k1 k1-pass\npad-override anna wrong\npad-override anna anna-pass\npad show\npad-override anna anna-pass\n")); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	at := 0
	lines := strings.Split(text, "\n")
	for _, w := range []string{
		"pad-checkout 3900003 refused: Item 3900003 was not checked out: part 2 of 3 is not on the pad",
		"pad-override refused: Staff override refused",
		"pad-override refused: Staff override refused",
		"pad-override 3900003 ok: Item 3900003 checked out by staff override (anna): part 2 of 3 is missing.",
		"pad 3900003 1/3 iso28560-3 unsecured", "pad 3900003 3/3 iso28560-3 unsecured",
		"pad-override 3900003 refused: ", // lent already: the appliance says why
	} {
		for at < len(lines) && !strings.Contains(lines[at], w) {
			at++
		}
		if at == len(lines) {
			t.Fatalf("kiosk output lacks %q (in order):\n%s", w, text)
		}
		at++
	}
	loans, err := e.svc.PatronLoans(context.Background(), e.eve.PatronID, false)
	if err != nil || len(loans) != 1 || loans[0].Barcode != "3900003" {
		t.Fatalf("Eve's loans %+v %v", loans, err)
	}
	got, err := rfid.ReadPad(cctx, pad.r)
	if err != nil || len(got) != 2 {
		t.Fatalf("pad %v %v", got, err)
	}

	// The patron's screen: s asks for the staff login.
	if _, err := e.svc.AddItem(ctx, domain.NewItem{Barcode: "3900004", BiblioID: b.BiblioID, ItemType: "BOOK", HomeBranch: "MAIN"}); err != nil {
		t.Fatal(err)
	}
	pad.sim.Clear()
	if err := pad.put([]string{"3900004", "1/2"}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := interactive(k, strings.NewReader("2100009\n1234\ns\nanna\nanna-pass\nd\nq\n")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[s] staff: lend a set missing a part", "Staff username: ", "Staff password: ",
		"✓ 3900004: Item 3900004 checked out by staff override (anna): part 2 of 2 is missing."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("screen lacks %q:\n%s", want, out.String())
		}
	}

	// Without the appliance's API: to the desk.
	out.Reset()
	k2, err := connect(cctx, options{acs: e.sip, user: "k1", password: "k1-pass", location: "LOBBY", lang: "en"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer k2.cl.Close()
	k2.rfid = pad
	if err := script(k2, strings.NewReader("identify 2100009 1234\npad-override anna anna-pass\n")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "please lend the item at the desk") {
		t.Errorf("without the API:\n%s", out.String())
	}
}
