package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"stacks/hardware/rfid"
)

// TestKioskPadScreens: on the patron's menu, t checks out the pad and u
// returns it. Aino prefers Finnish: the pad menu, the refusal of a set
// missing a part and the sorting bin are in Finnish; the tags' security
// follows (unsecured when lent, secured when returned).
func TestKioskPadScreens(t *testing.T) {
	addr := acs(t)
	pad, err := openRFID(rfidOptions{reader: "sim", tags: "3900001, 3900002:1/2", security: "both"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	k, err := connect(ctx, options{acs: addr, user: "k1", password: "k1-pass", location: "K1", lang: "en"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer k.cl.Close()
	k.rfid = pad
	secured := func() map[string]bool {
		got, err := rfid.ReadPad(ctx, pad.r)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, p := range got {
			m[p.Tag.ItemID] = p.Info.Secured(pad.sim.Mode())
		}
		return m
	}
	if err := interactive(k, strings.NewReader("2100001\n1234\nt\n")); err != nil {
		t.Fatal(err)
	}
	if s := secured(); s["3900001"] || !s["3900002"] {
		t.Fatalf("after checking out the pad: secured %v", s)
	}
	if err := interactive(k, strings.NewReader("2100001\n1234\nu\nd\nq\n")); err != nil {
		t.Fatal(err)
	}
	if s := secured(); !s["3900001"] || !s["3900002"] {
		t.Fatalf("after returning the pad: secured %v", s)
	}
	text := out.String()
	for _, want := range []string{
		"RFID-alusta: [t] lainaa kaikki",
		"✓ 3900001: ",
		"✗ 3900002: Nidettä 3900002 ei lainattu: osa 2/2 puuttuu alustalta.",
		"Laita nide lokeroon 1.",
		"Osa 2/2 puuttuu: palauta sekin.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("screens lack %q:\n%s", want, text)
		}
	}
}
