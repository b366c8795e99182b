package main_test

import (
	"fmt"
	"strings"
	"testing"

	"stacks/node/e2etest"
)

// binaries builds stacks and branchd once per test run.
func binaries(t *testing.T) (stacks, branchd string) {
	t.Helper()
	b := e2etest.Binaries(t, "stacks", "branchd")
	return b["stacks"], b["branchd"]
}

// startBranchd runs branchd with the demo library on a free port; its API.
func startBranchd(t *testing.T, bin string) string {
	t.Helper()
	return e2etest.StartBranchd(t, bin).API
}

func getJSON(t *testing.T, url string, v any) { t.Helper(); e2etest.StaffGet(t, url, v) }

// TestDeskInTmux drives the real stacks binary in a real terminal (tmux)
// against a real branchd with the demo library: log in, check out two
// items to a demo patron, check one in, and read the screen.
func TestDeskInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two binaries; skipped with -short")
	}
	x := e2etest.NewTmux(t)
	stacksBin, branchdBin := binaries(t)
	api := startBranchd(t, branchdBin)

	// Two loanable books on the shelf at MAIN, and a patron who may borrow.
	var items []struct {
		Barcode string `json:"barcode"`
		Title   string `json:"title"`
	}
	getJSON(t, api+"/api/v1/items?status=available&library_id=MAIN&item_type_id=BOOK&_per_page=2", &items)
	if len(items) != 2 {
		t.Fatalf("demo has %d available books at MAIN", len(items))
	}
	card, name := "", ""
	for i := 1; i <= 40 && card == ""; i++ {
		c := fmt.Sprintf("210000000000%02d", i)
		var ps []struct {
			ID        string `json:"patron_id"`
			Firstname string `json:"firstname"`
			Surname   string `json:"surname"`
		}
		getJSON(t, api+"/api/v1/patrons?cardnumber="+c, &ps)
		var st struct {
			CanBorrow bool `json:"can_borrow"`
			Loans     int  `json:"checkouts"`
		}
		getJSON(t, api+"/api/v1/patrons/"+ps[0].ID+"/status", &st)
		if st.CanBorrow && st.Loans < 3 {
			card, name = c, ps[0].Firstname+" "+ps[0].Surname
		}
	}
	if card == "" {
		t.Fatal("no demo patron may borrow")
	}

	x.Start("desk", 120, 40, stacksBin+" tui --api "+api)

	x.WaitFor("desk", "Log in to the desk")
	x.Send("desk", "clerk", "Tab", "clerk", "Enter")
	x.WaitFor("desk", "F1 Checkout", "clerk · circulation", "standalone")

	// The card and both barcodes typed at once, as a scanner does.
	x.Send("desk", card, "Enter", items[0].Barcode, "Enter", items[1].Barcode, "Enter")
	screen := x.WaitFor("desk", name, " 1  "+items[0].Barcode, " 2  "+items[1].Barcode)
	if n := strings.Count(screen, "due 20"); n != 2 {
		t.Fatalf("want two due dates on the screen, got %d:\n%s", n, screen)
	}
	x.Send("desk", "Escape")
	x.WaitFor("desk", "Receipt", "2 item(s) lent today")
	x.Send("desk", "Enter")
	x.WaitFor("desk", "Patron card:")

	x.Send("desk", "F2")
	x.WaitFor("desk", "Checkin · scan items")
	x.Send("desk", items[0].Barcode, "Enter")
	screen = x.WaitFor("desk", " 1  "+items[0].Barcode, "from "+name)
	t.Logf("screen after checkin:\n%s", screen)

	// The appliance agrees with the screen.
	var got []struct {
		Status string `json:"status"`
	}
	getJSON(t, api+"/api/v1/items?barcode="+items[0].Barcode, &got)
	if len(got) != 1 || got[0].Status == "checked_out" {
		t.Errorf("%s after checkin: %+v", items[0].Barcode, got)
	}
	getJSON(t, api+"/api/v1/items?barcode="+items[1].Barcode, &got)
	if len(got) != 1 || got[0].Status != "checked_out" {
		t.Errorf("%s after checkout: %+v", items[1].Barcode, got)
	}
	x.Send("desk", "F10")
}
