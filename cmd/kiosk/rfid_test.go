package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
)

// TestKioskRFIDPad runs branchd with the demo library and the kiosk with a
// simulated RFID pad: a patron checks out the whole pad at once, with one
// item in three parts missing its part 2 (refused by name, the rest
// lent, its tags unsecured); the missing part is put on the pad and the
// item goes; then the pad is returned, the tags secured and each item's
// sorting bin shown.
func TestKioskRFIDPad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd and kiosk processes")
	}
	b := binaries(t)
	rules := filepath.Join(t.TempDir(), "sort.rules")
	must(t, os.WriteFile(rules, []byte("7 hold=yes\n8 action=transit\n9\n"), 0o644))
	br := startBranchd(t, b["branchd"], "--sort-rules", rules)
	api := br.API
	var items []struct {
		ItemID  string `json:"item_id"`
		Barcode string `json:"barcode"`
	}
	getJSON(t, api+"/api/v1/items?status=available&item_type_id=BOOK&_per_page=3", &items)
	if len(items) < 3 {
		t.Fatalf("want 3 available books in the demo, got %d", len(items))
	}
	var card, patronID string
	for i := 1; i <= 400 && card == ""; i++ {
		c := fmt.Sprintf("2100000%07d", i)
		var ps []struct {
			PatronID string `json:"patron_id"`
		}
		getJSON(t, api+"/api/v1/patrons?cardnumber="+c, &ps)
		if len(ps) == 0 {
			continue
		}
		var st domain.PatronStatus
		getJSON(t, api+"/api/v1/patrons/"+ps[0].PatronID+"/status", &st)
		if st.CanBorrow {
			card, patronID = c, ps[0].PatronID
		}
	}
	if card == "" {
		t.Fatal("no demo patron who may borrow")
	}
	a, set, c := items[0].Barcode, items[1].Barcode, items[2].Barcode
	dir := t.TempDir()
	padFile := filepath.Join(dir, "pad")
	must(t, os.WriteFile(padFile, []byte(fmt.Sprintf("# the patron's bag\n%s\n%s 1/3\n%s 3/3 iso28560-2\n", a, set, set)), 0o644))
	script := filepath.Join(dir, "session.kiosk")
	must(t, os.WriteFile(script, []byte(fmt.Sprintf(`identify %[1]s 1234
pad show
pad-checkout
pad show
pad remove %[2]s
pad remove %[4]s
pad put %[3]s 2/3
pad-checkout
pad put %[2]s unsecured
pad put %[4]s iso28560-2 unsecured
pad-checkin
pad show
end
`, card, a, set, c)), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, b["kiosk"], "--acs", br.SIP, "--location", "RFID-KIOSK", "--rfid", "sim",
		"--rfid-pad", padFile, "--rfid-tags", c, "script", script).CombinedOutput()
	text := string(out)
	t.Logf("kiosk output:\n%s", text)
	if err != nil {
		t.Fatalf("kiosk: %v\nbranchd log:\n%s", err, br.Logs.String())
	}
	lines := strings.Split(text, "\n")
	// want checks that the lines, in order, contain each of wants.
	at := 0
	for _, w := range []string{
		"identify ok",
		"pad " + a + " 1/1 iso28560-3 secured", "pad " + set + " 1/3 iso28560-3 secured", "pad " + set + " 3/3 iso28560-2 secured", "pad " + c + " 1/1 iso28560-3 secured",
		"pad-checkout " + a + " ok: Checked out",
		"pad-checkout " + set + " refused: Item " + set + " was not checked out: part 2 of 3 is not on the pad",
		"pad-checkout " + c + " ok: Checked out",
		"pad " + a + " 1/1 iso28560-3 unsecured", "pad " + set + " 1/3 iso28560-3 secured", "pad " + set + " 3/3 iso28560-2 secured", "pad " + c + " 1/1 iso28560-3 unsecured",
		"pad-checkout " + set + " ok: Checked out",
		"pad-checkin " + set + " ok: Thank you", "pad-checkin " + a + " ok: Thank you", "pad-checkin " + c + " ok: Thank you",
		"pad " + set + " 1/3 iso28560-3 secured", "pad " + set + " 3/3 iso28560-2 secured", "pad " + set + " 2/3 iso28560-3 secured",
		"pad " + a + " 1/1 iso28560-3 secured", "pad " + c + " 1/1 iso28560-2 secured",
		"end ok",
	} {
		for at < len(lines) && !strings.Contains(lines[at], w) {
			at++
		}
		if at == len(lines) {
			t.Fatalf("kiosk output lacks %q (in order)", w)
		}
		at++
	}
	// Bins come from branchd's --sort-rules (7, 8, 9), one per return.
	if n := regexp.MustCompile(`Put it in bin [789]\.`).FindAllString(text, -1); len(n) != 3 {
		t.Errorf("want a sorting bin of the rules for each of the 3 returns, got %q", n)
	}
	// The branch agrees: nothing of the pad is on loan to the patron any more.
	var loans []domain.Loan
	getJSON(t, api+"/api/v1/checkouts?patron_id="+patronID, &loans)
	for _, l := range loans {
		for _, it := range items {
			if l.ItemID == it.ItemID {
				t.Errorf("%s still on loan: %+v", it.Barcode, l)
			}
		}
	}
}

// TestKioskDemoPadFile: the demo pad file in the repository loads.
func TestKioskDemoPadFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd and kiosk processes")
	}
	b := binaries(t)
	br := startBranchd(t, b["branchd"])
	script := filepath.Join(t.TempDir(), "show.kiosk")
	must(t, os.WriteFile(script, []byte("pad show\n"), 0o644))
	out, err := exec.Command(b["kiosk"], "--acs", br.SIP, "--rfid", "sim", "--rfid-pad", "demo.pad", "script", script).CombinedOutput()
	if err != nil {
		t.Fatalf("kiosk: %v\n%s", err, out)
	}
	if n := strings.Count("\n"+string(out), "\npad "); n != 7 {
		t.Fatalf("want 7 tags on the demo pad:\n%s", out)
	}
}
