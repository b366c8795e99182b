package httpapi_test

import (
	"net/http"
	"testing"
)

type auditEntry struct {
	Actor, Channel, Action, Resource, Outcome string
	PatronID                                  string `json:"patron_id"`
	ItemID                                    string `json:"item_id"`
}

// TestAuditRidesWithChange: an audited write commits its change and its
// audit record in one transaction (one commit of the log), once the route's
// answer is known; the record says what the request did.
func TestAuditRidesWithChange(t *testing.T) {
	f := newFixture(t)
	alice := f.patrons["Alice"]
	log := f.svc.Log()
	// The route's first committed change records as before (its answer is
	// not known until then): two commits.
	c0, o0 := log.Commits.Load(), f.opCount()
	f.checkout(card(alice), "B0001", asClerk)
	if n := log.Commits.Load() - c0; n != 2 {
		t.Errorf("first checkout: %d commits, want 2 (change, then its record)", n)
	}
	for i, bc := range []string{"B0002", "D0001"} {
		c0, o0 = log.Commits.Load(), f.opCount()
		l := f.checkout(card(alice), bc, asClerk)
		if n := log.Commits.Load() - c0; n != 1 {
			t.Errorf("checkout %s: %d commits, want 1", bc, n)
		}
		var es []auditEntry
		f.do("GET", "/api/v1/audit?actor=clerk", nil).want(t, http.StatusOK, &es)
		if len(es) != 2+i {
			t.Fatalf("after checkout %s: %d records: %+v", bc, len(es), es)
		}
		w := auditEntry{Actor: "clerk", Channel: "desk", Action: "POST /api/v1/checkouts", Resource: "/api/v1/checkouts", Outcome: "201",
			PatronID: alice.PatronID, ItemID: l.ItemID}
		if es[0] != w || l.ItemID != f.items[bc].ItemID {
			t.Errorf("record of checkout %s: %+v, want %+v", bc, es[0], w)
		}
		// The audited GET above wrote its own record in a commit of its own.
		if d := f.opCount() - o0; d < 2 {
			t.Errorf("checkout %s: %d ops", bc, d)
		}
	}
	// A refused write commits nothing and records nothing, as before.
	c0 = log.Commits.Load()
	f.do("POST", "/api/v1/checkouts", map[string]any{"cardnumber": card(alice), "barcode": "NOPE"}, asClerk).wantProblem(t, http.StatusNotFound, "item_not_found")
	if n := log.Commits.Load() - c0; n != 0 {
		t.Errorf("refused checkout: %d commits", n)
	}
	// A read commits its record alone.
	c0 = log.Commits.Load()
	f.do("GET", "/api/v1/patrons/"+alice.PatronID, nil, asClerk).want(t, http.StatusOK, nil)
	if n := log.Commits.Load() - c0; n != 1 {
		t.Errorf("audited read: %d commits, want 1", n)
	}
}

// TestAuditRideAnswerTurnsOut: when the answer differs from the one the
// record that rode with the change said (a response failing after the
// commit), a second record says what the answer was.
func TestAuditRideAnswerTurnsOut(t *testing.T) {
	f := newFixture(t)
	alice := f.patrons["Alice"]
	f.api.SetAuditStatus("POST /api/v1/checkouts", http.StatusOK)
	f.checkout(card(alice), "B0001", asClerk)
	var es []auditEntry
	f.do("GET", "/api/v1/audit?actor=clerk", nil).want(t, http.StatusOK, &es)
	if len(es) != 2 || es[0].Outcome != "201" || es[1].Outcome != "200" || es[0].ItemID != f.items["B0001"].ItemID || es[1].ItemID != es[0].ItemID {
		t.Fatalf("records: %+v", es)
	}
	// The true answer is learned: the next checkout's record rides alone.
	c0 := f.svc.Log().Commits.Load()
	f.checkout(card(alice), "B0002", asClerk)
	if n := f.svc.Log().Commits.Load() - c0; n != 1 {
		t.Errorf("next checkout: %d commits, want 1", n)
	}
}
