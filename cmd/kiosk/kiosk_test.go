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
