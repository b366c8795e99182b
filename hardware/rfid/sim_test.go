package rfid_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"stacks/hardware/rfid"
)

func TestSimPadSetsAndSecurity(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []rfid.SecurityMode{rfid.SecurityAFI, rfid.SecurityEAS, rfid.SecurityBoth} {
		pad := rfid.NewSimPad(mode)
		mustPut := func(f rfid.Format, tag rfid.Tag) string {
			uid, err := pad.PutItem(f, &tag, true)
			if err != nil {
				t.Fatal(err)
			}
			return uid
		}
		mustPut(rfid.FormatDanish, rfid.Tag{ItemID: "100", PartsInSet: 3, PartNumber: 1, Usage: 0x10})
		u2 := mustPut(rfid.FormatOID, rfid.Tag{ItemID: "200", Usage: 0x10})
		mustPut(rfid.FormatOID, rfid.Tag{ItemID: "100", PartsInSet: 3, PartNumber: 3, Usage: 0x10})
		pad.Put(rfid.SimTag{Mem: []byte("garbage that is no tag at all!!!"), Secured: true})
		got, err := rfid.ReadPad(ctx, pad)
		if err != nil {
			t.Fatal(err)
		}
		items, bad := rfid.Items(got)
		if len(items) != 2 || len(bad) != 1 {
			t.Fatalf("items %+v unreadable %+v", items, bad)
		}
		if items[0].ItemID != "100" || items[0].Complete() || !reflect.DeepEqual(items[0].Missing(), []int{2}) {
			t.Fatalf("set: %+v missing %v", items[0], items[0].Missing())
		}
		if !items[1].Complete() || items[1].ItemID != "200" {
			t.Fatalf("single: %+v", items[1])
		}
		for _, p := range got {
			if !p.Info.Secured(mode) {
				t.Fatalf("mode %d: tag %s not secured", mode, p.Info.UID)
			}
		}
		if err := pad.SetSecurity(ctx, u2, false); err != nil {
			t.Fatal(err)
		}
		inv, _ := pad.Inventory(ctx)
		if inv[1].Secured(mode) || !inv[0].Secured(mode) {
			t.Fatalf("mode %d after unsecuring one: %+v", mode, inv)
		}
		if mode == rfid.SecurityAFI && inv[1].AFI != rfid.AFIUnsecured {
			t.Fatalf("AFI %02X", inv[1].AFI)
		}
		// Writing a tag rewrites what it says.
		mem, _ := rfid.EncodeOID(&rfid.Tag{ItemID: "201"}, 64)
		if err := pad.WriteBlocks(ctx, u2, 0, mem); err != nil {
			t.Fatal(err)
		}
		got, _ = rfid.ReadPad(ctx, pad)
		if got[1].Tag.ItemID != "201" {
			t.Fatalf("after write: %+v", got[1].Tag)
		}
		pad.Remove(u2)
		if err := pad.SetSecurity(ctx, u2, true); !errors.Is(err, rfid.ErrNoTag) {
			t.Fatalf("removed tag: %v", err)
		}
	}
}
