package branch_test

import (
	"reflect"
	"testing"
)

// TestBibliosByID: the titles of a list of ids in one read, the unknown
// ones left out, each as Biblio returns it.
func TestBibliosByID(t *testing.T) {
	e := newEnv(t)
	a, b := e.title("Alpha"), e.title("Beta")
	got, err := e.svc.BibliosByID(e.ctx, []string{b.BiblioID, "no-such-title", a.BiblioID})
	mustNoErr(t, err)
	if len(got) != 2 {
		t.Fatalf("got %d titles, want 2: %v", len(got), got)
	}
	for _, id := range []string{a.BiblioID, b.BiblioID} {
		one, err := e.svc.Biblio(e.ctx, id)
		mustNoErr(t, err)
		if !reflect.DeepEqual(got[id], one) {
			t.Errorf("%s: %+v, Biblio gives %+v", id, got[id], one)
		}
	}
	none, err := e.svc.BibliosByID(e.ctx, nil)
	mustNoErr(t, err)
	if len(none) != 0 {
		t.Errorf("no ids: %v", none)
	}
}
