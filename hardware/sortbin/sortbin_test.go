package sortbin_test

import (
	"context"
	"strings"
	"testing"

	"stacks/branch/domain"
	"stacks/hardware/sortbin"
)

func TestRules(t *testing.T) {
	rules, err := sortbin.Parse(strings.NewReader(`
# our returns machine
1 hold=yes
2 action=transit
4 type=DVD home=here   # our own DVDs
5 home=other
3
`))
	if err != nil {
		t.Fatal(err)
	}
	book := &domain.Item{ItemType: "BOOK", HomeBranch: "MAIN"}
	dvd := &domain.Item{ItemType: "DVD", HomeBranch: "MAIN"}
	eastDVD := &domain.Item{ItemType: "DVD", HomeBranch: "EAST"}
	for _, tc := range []struct {
		name string
		res  domain.CheckinResult
		bin  string
	}{
		{"hold here", domain.CheckinResult{Item: book, Action: domain.ActionHoldShelf, Hold: &domain.Hold{}}, "1"},
		{"hold elsewhere", domain.CheckinResult{Item: book, Action: domain.ActionTransit, Hold: &domain.Hold{}}, "1"},
		{"going home", domain.CheckinResult{Item: eastDVD, Action: domain.ActionTransit}, "2"},
		{"our DVD", domain.CheckinResult{Item: dvd, Action: domain.ActionShelve}, "4"},
		{"floating DVD shelved here", domain.CheckinResult{Item: eastDVD, Action: domain.ActionShelve}, "5"},
		{"book", domain.CheckinResult{Item: book, Action: domain.ActionShelve}, "3"},
	} {
		if got := rules.SortBin(context.Background(), "MAIN", &tc.res); got != tc.bin {
			t.Errorf("%s: bin %q, want %q", tc.name, got, tc.bin)
		}
	}
	def := sortbin.Default()
	if got := def.SortBin(context.Background(), "MAIN", &domain.CheckinResult{Item: book, Action: domain.ActionShelve}); got != "3" {
		t.Errorf("default shelve: %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "1 hold=maybe", "1 action=lost", "1 colour=red", "1 home", "1|2", "# only a comment"} {
		if _, err := sortbin.Parse(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}
