package main

import (
	"testing"

	"stacks/hardware/sip2"
)

// TestWithParts: a copy in several parts is announced with its parts; any
// other keeps the ACS's message as it is.
func TestWithParts(t *testing.T) {
	r := &sip2.Message{Code: sip2.CheckoutResp}
	r.Add("AF", "Checked out: Dune.")
	if got := withParts(r); got != "Checked out: Dune." {
		t.Fatalf("no CH: %q", got)
	}
	r.Add("CH", "DVD 2 discs, booklet")
	if got, want := withParts(r), "Checked out: Dune. Please check that every part is there: DVD 2 discs, booklet."; got != want {
		t.Fatalf("with CH: %q, want %q", got, want)
	}
}

// TestRefusal: a 24 that lets no one in always has words for the screen,
// whether or not the ACS sent AF.
func TestRefusal(t *testing.T) {
	for _, tc := range []struct {
		fields []sip2.Field
		pin    bool
		want   string
	}{
		{[]sip2.Field{{Tag: "BL", Value: "Y"}, {Tag: "CQ", Value: "N"}, {Tag: "AF", Value: "This card is blocked."}}, true, "This card is blocked."},
		{[]sip2.Field{{Tag: "BL", Value: "N"}}, true, "This card is not recognised. Please ask at the desk."},
		{[]sip2.Field{{Tag: "BL", Value: "Y"}, {Tag: "CQ", Value: "N"}}, true, "That PIN is not right. Please try again."},
		{[]sip2.Field{{Tag: "BL", Value: "Y"}, {Tag: "CQ", Value: "N"}}, false, "Please enter your PIN."},
	} {
		r := &sip2.Message{Code: sip2.PatronStatusResp, Fields: tc.fields}
		if got := refusal(r, tc.pin); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.fields, got, tc.want)
		}
	}
}
