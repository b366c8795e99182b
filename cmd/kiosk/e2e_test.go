package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/node/e2etest"
	"stacks/replicate"
)

// binaries builds branchd and kiosk once per test run.
func binaries(t *testing.T) map[string]string { return e2etest.Binaries(t, "branchd", "kiosk") }

// startBranchd runs branchd with the demo library on free loopback ports.
func startBranchd(t *testing.T, bin string, extra ...string) *e2etest.Branchd {
	t.Helper()
	br := e2etest.StartBranchd(t, bin, extra...)
	if br.SIP == "" {
		t.Fatalf("no SIP2 server in the logs:\n%s", br.Logs.String())
	}
	return br
}

func getJSON(t *testing.T, url string, v any) { t.Helper(); e2etest.StaffGet(t, url, v) }

// TestKioskEndToEnd runs branchd with the demo library, advertising on
// loopback, and the kiosk as a separate process: it finds the appliance
// with mDNS, logs in, and a patron identifies, checks out, renews, checks
// in and pays a fee. The ops are recorded with channel kiosk and the
// kiosk's ID.
func TestKioskEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd and kiosk processes")
	}
	b := binaries(t)
	br := startBranchd(t, b["branchd"], "--mdns-iface", "lo")
	api, sipAddr, dir := br.API, br.SIP, br.Dir

	// A patron who may borrow and owes something, and a book on the shelf.
	var items []struct {
		Barcode string `json:"barcode"`
	}
	getJSON(t, api+"/api/v1/items?status=available&item_type_id=BOOK&_per_page=5", &items)
	if len(items) == 0 {
		t.Fatal("no available book in the demo")
	}
	var card, patronID string
	var owed int64
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
		if st.CanBorrow && st.BalanceCents > 0 {
			card, patronID, owed = c, ps[0].PatronID, st.BalanceCents
		}
	}
	if card == "" {
		t.Fatal("no demo patron who may borrow and owes a fee")
	}
	pay := min(owed, 50)
	script := filepath.Join(t.TempDir(), "session.kiosk")
	must(t, os.WriteFile(script, []byte(fmt.Sprintf(`# a patron's visit
status
identify %[1]s 1234
checkout %[2]s
renew %[2]s
checkin %[2]s
pay %[3]s
end
`, card, items[0].Barcode, domain.Money(pay))), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	kc := exec.CommandContext(ctx, b["kiosk"], "--mdns-iface", "lo", "--branch", "MAIN", "--discover-timeout", "30s",
		"--location", "E2E-KIOSK", "script", script)
	out, err := kc.CombinedOutput()
	t.Logf("kiosk output:\n%s", out)
	if err != nil {
		t.Fatalf("kiosk: %v\nbranchd log:\n%s", err, br.Logs.String())
	}
	text := string(out)
	for _, want := range []string{
		"found ", "at " + sipAddr, "connected to Central Library (STACKS)",
		"status ok", "identify ok", "checkout ok: Checked out", "renew ok: Renewed", "checkin ok: Thank you",
		"pay ok: Thank you. We received " + domain.Money(pay), "end ok", "Self-check receipt", "Checked out:", "Renewed:", "Returned:",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("kiosk output lacks %q", want)
		}
	}
	var st domain.PatronStatus
	getJSON(t, api+"/api/v1/patrons/"+patronID+"/status", &st)
	if st.BalanceCents != owed-pay {
		t.Errorf("balance %d after paying %d of %d", st.BalanceCents, pay, owed)
	}

	// Stop branchd and read its op log: the kiosk's ops say who and how.
	br.Stop()
	db, err := replicate.OpenDB(context.Background(), filepath.Join(dir, "stacks.db"), branch.Migrations())
	must(t, err)
	defer db.Close()
	ops, err := replicate.NewLog(db, replicate.DefaultConfig(1), branch.Applier{}).AllOps(context.Background())
	must(t, err)
	kinds := map[string]bool{}
	for _, op := range ops {
		if op.Channel == string(domain.ChannelKiosk) {
			if op.Actor != "demo-kiosk" {
				t.Errorf("kiosk op %s by %q", op.Kind, op.Actor)
			}
			kinds[op.Kind] = true
		}
	}
	for _, k := range []string{branch.KindCheckout, branch.KindRenew, branch.KindCheckin, branch.KindFeeLines} {
		if !kinds[k] {
			t.Errorf("no %s op from the kiosk channel (saw %v)", k, kinds)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
