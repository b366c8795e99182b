package node_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/hardware/escpos/emulator"
	"stacks/node"
	"stacks/node/nodetest"
)

// TestSpoolErasedPatron: a welcome receipt printed for a patron (their
// name and card number) leaves the print spool's file once the patron is
// erased, at the node's next privacy sweep.
func TestSpoolErasedPatron(t *testing.T) {
	em := emulator.New(emulator.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go em.Serve(ln)
	defer func() { ln.Close(); em.Shutdown(context.Background()) }()

	cfg := node.DefaultConfig()
	dir := filepath.Join(t.TempDir(), "n")
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost = dir, "127.0.0.1:0", 4
	cfg.HoldSweep = 50 * time.Millisecond // the privacy sweep's interval
	cfg.Printing.Printers, err = node.ParsePrinters([]string{"desk=tcp://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	n := nodetest.Start(t, cfg)
	base := "http://" + n.Addr()

	// A demo patron with nothing on loan and nothing owed.
	var p *domain.Patron
	for i := 1; i <= 60 && p == nil; i++ {
		var ps []*domain.Patron
		getJSON(t, base+fmt.Sprintf("/api/v1/patrons?cardnumber=2100000%07d", i), &ps)
		var st domain.PatronStatus
		if len(ps) == 1 && getJSON(t, base+"/api/v1/patrons/"+ps[0].PatronID+"/status", &st) == 200 && st.Loans == 0 && st.BalanceCents == 0 {
			p = ps[0]
		}
	}
	if p == nil {
		t.Fatal("demo data lacks a patron with no loans")
	}
	if code, body, _ := postJSON(base+"/api/v1/patrons/"+p.PatronID+"/receipt", map[string]string{"kind": "welcome"}); code/100 != 2 {
		t.Fatalf("receipt: %d %v", code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(em.Jobs()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(em.Jobs()) != 1 {
		t.Fatalf("printed %d jobs", len(em.Jobs()))
	}
	spool := func() []byte {
		var all []byte
		files, _ := filepath.Glob(filepath.Join(dir, "printspool.db*"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			all = append(all, b...)
		}
		return all
	}
	if !bytes.Contains(spool(), []byte(p.Cardnumber)) {
		t.Fatal("the receipt's card number is not in the spool: the test would prove nothing")
	}
	if code, body, _ := postJSON(base+"/api/v1/patrons/"+p.PatronID+"/erasure", map[string]string{"reason": "GDPR request"}); code/100 != 2 {
		t.Fatalf("erasure: %d %v", code, body)
	}
	deadline = time.Now().Add(10 * time.Second)
	for bytes.Contains(spool(), []byte(p.Cardnumber)) {
		if time.Now().After(deadline) {
			t.Fatal("the erased patron's card number is still in the print spool")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
