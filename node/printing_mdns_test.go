package node_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"stacks/hardware/discovery"
	"stacks/hardware/escpos"
	"stacks/hardware/escpos/emulator"
	"stacks/node"
	"stacks/node/apitype"
	"stacks/node/nodetest"
)

// TestPrinterFoundWithMDNS: branchd --printer-mdns with no printer
// configured finds an emulator advertised as _pdl-datastream._tcp (on the
// loopback interface, which needs neither root nor a LAN), lists it under
// its instance name, and prints a receipt on it.
func TestPrinterFoundWithMDNS(t *testing.T) {
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var lo []net.Interface
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagLoopback != 0 && ifi.Flags&net.FlagUp != 0 {
			lo = []net.Interface{ifi}
		}
	}
	if lo == nil {
		t.Skip("no loopback interface is up")
	}
	em := emulator.New(emulator.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go em.Serve(ln)
	t.Cleanup(func() { ln.Close(); em.Shutdown(context.Background()) })
	// A name of this run only: other tests may advertise on lo too.
	instance := "Lobby printer " + strconv.Itoa(os.Getpid())
	adv, err := discovery.Advertise(lo, "printer-test", discovery.Service{Instance: instance, Type: escpos.MDNSService,
		Port: ln.Addr().(*net.TCPAddr).Port})
	if err != nil {
		t.Skipf("cannot advertise on loopback here: %v", err)
	}
	t.Cleanup(adv.Shutdown)

	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.SIP2Addr, cfg.PINCost = filepath.Join(t.TempDir(), "n"), "127.0.0.1:0", "127.0.0.1:0", 4
	cfg.Printing.MDNS, cfg.MDNSIfaces = true, []string{lo[0].Name}
	cfg.Printing.MaxBackoff = 200 * time.Millisecond
	n := nodetest.Start(t, cfg)
	base := "http://" + n.Addr()

	name := fmt.Sprintf("Lobby-printer-%d", os.Getpid())
	want := "tcp://" + ln.Addr().String()
	deadline := time.Now().Add(20 * time.Second)
	for found := false; !found; {
		var ps []apitype.Printer
		getJSON(t, base+"/api/v1/printing/printers", &ps)
		for _, p := range ps {
			found = found || (p.Name == name && p.URL == want)
		}
		if !found && time.Now().After(deadline) {
			t.Fatalf("printer %s at %s not found with mDNS; printers %+v", name, want, ps)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ps := borrowers(t, base, 1)
	if code, body, _ := postJSON(base+"/api/v1/patrons/"+ps[0].PatronID+"/receipt", map[string]string{"kind": "welcome", "printer": name}); code != 202 {
		t.Fatalf("receipt: %d %v", code, body)
	}
	page := waitPrinted(t, em, 1).Page
	if bc := blocks(page, emulator.Barcode); len(bc) != 1 || bc[0] != ps[0].Cardnumber {
		t.Errorf("the found printer printed barcodes %q, want %s", bc, ps[0].Cardnumber)
	}
}

// TestPrinterMDNSAcrossNamespaces is the real path, as on a branch LAN: a
// printer in one network namespace advertises itself with
// zeroconf.Register on its veth interface; branchd --printer-mdns runs in
// another namespace joined to it, finds it, and prints a receipt on it
// across the link. Needs root and iproute2; it deletes what it creates.
func TestPrinterMDNSAcrossNamespaces(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two processes in network namespaces")
	}
	if os.Geteuid() != 0 {
		t.Skip("skipped: creating network namespaces needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: iproute2 (ip) is not installed")
	}
	id := strconv.Itoa(os.Getpid() % 100000)
	nsA, nsB, vA, vB := "stpA"+id, "stpB"+id, "stpa"+id, "stpb"+id
	ip := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := ip("netns", "add", nsA); err != nil {
		t.Skipf("skipped: cannot create a network namespace here: %v", err)
	}
	t.Cleanup(func() { ip("netns", "del", nsA) })
	if err := ip("netns", "add", nsB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ip("netns", "del", nsB) })
	t.Cleanup(func() { ip("link", "del", vA) }) // only if it never reached its namespace
	for _, args := range [][]string{
		{"link", "add", vA, "type", "veth", "peer", "name", vB},
		{"link", "set", vA, "netns", nsA}, {"link", "set", vB, "netns", nsB},
		{"-n", nsA, "addr", "add", "10.231.9.1/24", "dev", vA}, {"-n", nsB, "addr", "add", "10.231.9.2/24", "dev", vB},
		{"-n", nsA, "link", "set", vA, "up"}, {"-n", nsB, "link", "set", vB, "up"},
		{"-n", nsA, "link", "set", "lo", "up"}, {"-n", nsB, "link", "set", "lo", "up"},
	} {
		if err := ip(args...); err != nil {
			t.Fatal(err)
		}
	}
	helper := func(ns, iface, mode string) *exec.Cmd {
		cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestPrinterMDNSHelper$")
		cmd.Env = append(os.Environ(), "STACKS_PRINTER_HELPER="+mode, "STACKS_IFACE="+iface)
		return cmd
	}
	printer := helper(nsA, vA, "printer")
	stdin, err := printer.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := printer.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := printer.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); printer.Wait() })
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(30 * time.Second):
			t.Fatal("the printer said nothing for 30 s")
			return ""
		}
	}
	if l := next(); l != "ready" {
		t.Fatalf("printer: %q", l)
	}
	out, err := helper(nsB, vB, "branchd").CombinedOutput()
	if err != nil {
		t.Fatalf("branchd side: %v\n%s", err, out)
	}
	card := ""
	for _, l := range strings.Split(string(out), "\n") {
		if c, ok := strings.CutPrefix(l, "card "); ok {
			card = strings.TrimSpace(c)
		}
	}
	if card == "" {
		t.Fatalf("the branchd side named no card:\n%s", out)
	}
	if l := next(); l != "printed "+card {
		t.Fatalf("the printer printed %q, want the welcome slip of card %s\nbranchd side:\n%s", l, card, out)
	}
}

// TestPrinterMDNSHelper is run in a network namespace by
// TestPrinterMDNSAcrossNamespaces: "printer" is an emulator on port 9100
// advertised on STACKS_IFACE, saying "printed BARCODE" for each job until
// its standard input closes; "branchd" is a node that finds it and asks
// for a welcome slip on it, saying "card CARD".
func TestPrinterMDNSHelper(t *testing.T) {
	mode := os.Getenv("STACKS_PRINTER_HELPER")
	if mode == "" {
		t.Skip("helper for TestPrinterMDNSAcrossNamespaces")
	}
	ifs, err := discovery.Interfaces([]string{os.Getenv("STACKS_IFACE")})
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "printer":
		em := emulator.New(emulator.Config{})
		ln, err := net.Listen("tcp", ":9100")
		if err != nil {
			t.Fatal(err)
		}
		go em.Serve(ln)
		adv, err := discovery.Advertise(ifs, "", discovery.Service{Instance: "Desk printer", Type: escpos.MDNSService, Port: 9100})
		if err != nil {
			t.Fatal(err)
		}
		defer adv.Shutdown()
		fmt.Println("ready")
		done := make(chan struct{})
		go func() { bufio.NewReader(os.Stdin).ReadString('\n'); close(done) }()
		seen := 0
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			js := em.Jobs()
			for ; seen < len(js); seen++ {
				fmt.Println("printed", strings.Join(blocks(js[seen].Page, emulator.Barcode), ","))
			}
		}
	case "branchd":
		cfg := node.DefaultConfig()
		cfg.DataDir, cfg.HTTPAddr, cfg.SIP2Addr, cfg.PINCost = filepath.Join(t.TempDir(), "n"), "127.0.0.1:0", "127.0.0.1:0", 4
		cfg.Printing.MDNS, cfg.MDNSIfaces = true, []string{ifs[0].Name}
		cfg.Printing.MaxBackoff = 200 * time.Millisecond
		n := nodetest.Start(t, cfg)
		base := "http://" + n.Addr()
		deadline := time.Now().Add(20 * time.Second)
		for found := false; !found; {
			var ps []apitype.Printer
			getJSON(t, base+"/api/v1/printing/printers", &ps)
			for _, p := range ps {
				found = found || (p.Name == "Desk-printer" && p.URL == "tcp://10.231.9.1:9100")
			}
			if !found && time.Now().After(deadline) {
				t.Fatalf("printer not found with mDNS; printers %+v", ps)
			}
			time.Sleep(20 * time.Millisecond)
		}
		p := borrowers(t, base, 1)[0]
		if code, body, _ := postJSON(base+"/api/v1/patrons/"+p.PatronID+"/receipt", map[string]string{"kind": "welcome", "printer": "Desk-printer"}); code != 202 {
			t.Fatalf("receipt: %d %v", code, body)
		}
		deadline = time.Now().Add(20 * time.Second)
		for {
			var js []apitype.PrintJob
			getJSON(t, base+"/api/v1/printing/jobs", &js)
			if len(js) == 1 && js[0].State == "done" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("jobs %+v", js)
			}
			time.Sleep(20 * time.Millisecond)
		}
		fmt.Println("card", p.Cardnumber)
	}
}
