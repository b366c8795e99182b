package discovery_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"stacks/hardware/discovery"
)

func loopback(t *testing.T) []net.Interface {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagLoopback != 0 && ifi.Flags&net.FlagUp != 0 {
			return []net.Interface{ifi}
		}
	}
	t.Skip("no loopback interface is up")
	return nil
}

func TestTXTRoundTrip(t *testing.T) {
	in := discovery.Info{Branch: "MAIN", Institution: "STACKS", TLS: true, Protocol: "2.00"}
	if got := discovery.ParseTXT(in.TXT()); got != in {
		t.Fatalf("got %+v", got)
	}
}

// TestAdvertiseBrowseLoopback finds the advertised ACS and API on the
// loopback interface, with their ports and TXT records.
func TestAdvertiseBrowseLoopback(t *testing.T) {
	lo := loopback(t)
	sip := discovery.Service{Instance: "Stacks test " + strconv.Itoa(os.Getpid()), Type: discovery.SIP2Service, Port: 16001,
		Info: discovery.Info{Branch: "LOOP" + strconv.Itoa(os.Getpid()), Institution: "STACKS", Protocol: "2.00"}}
	api := sip
	api.Type, api.Port, api.Info.Protocol = discovery.StacksService, 18080, "v1"
	a, err := discovery.Advertise(lo, "stacks-test", sip, api)
	if err != nil {
		t.Skipf("cannot advertise on loopback here: %v", err)
	}
	defer a.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, want := range []discovery.Service{sip, api} {
		f, err := discovery.Find(ctx, lo, want.Type, want.Info.Branch)
		if err != nil {
			t.Fatal(err)
		}
		if f.Port != want.Port || f.Info != want.Info || f.Addr() != net.JoinHostPort("127.0.0.1", strconv.Itoa(want.Port)) {
			t.Fatalf("found %+v (addr %s), want %+v", f, f.Addr(), want)
		}
	}
}

// TestHelperProcess is run inside a network namespace by TestAcrossNamespaces.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("STACKS_DISCOVERY_HELPER")
	if mode == "" {
		t.Skip("helper for TestAcrossNamespaces")
	}
	ifs, err := discovery.Interfaces([]string{os.Getenv("STACKS_IFACE")})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	switch mode {
	case "advertise":
		a, err := discovery.Advertise(ifs, "", discovery.Service{Instance: "Stacks MAIN", Type: discovery.SIP2Service, Port: 6001,
			Info: discovery.Info{Branch: "MAIN", Institution: "STACKS", TLS: true, Protocol: "2.00"}})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n') // until the test closes stdin
		a.Shutdown()
	case "browse":
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		f, err := discovery.Find(ctx, ifs, discovery.SIP2Service, "MAIN")
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		json.NewEncoder(os.Stdout).Encode(map[string]any{"addr": f.Addr(), "info": f.Info})
	}
	os.Exit(0)
}

// TestAcrossNamespaces runs the appliance's advertiser in one network
// namespace and a kiosk's browser in another, joined by a veth pair, and
// resolves the advertised address, port and TXT records.
func TestAcrossNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: creating network namespaces needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: iproute2 (ip) is not installed")
	}
	id := strconv.Itoa(os.Getpid() % 100000)
	nsA, nsB, vA, vB := "stkA"+id, "stkB"+id, "stva"+id, "stvb"+id
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
	for _, args := range [][]string{
		{"link", "add", vA, "type", "veth", "peer", "name", vB},
		{"link", "set", vA, "netns", nsA}, {"link", "set", vB, "netns", nsB},
		{"-n", nsA, "addr", "add", "10.231.7.1/24", "dev", vA}, {"-n", nsB, "addr", "add", "10.231.7.2/24", "dev", vB},
		{"-n", nsA, "link", "set", vA, "up"}, {"-n", nsB, "link", "set", vB, "up"},
		{"-n", nsA, "link", "set", "lo", "up"}, {"-n", nsB, "link", "set", "lo", "up"},
	} {
		if err := ip(args...); err != nil {
			t.Fatal(err)
		}
	}
	helper := func(ns, iface, mode string) *exec.Cmd {
		cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "STACKS_DISCOVERY_HELPER="+mode, "STACKS_IFACE="+iface)
		return cmd
	}
	adv := helper(nsA, vA, "advertise")
	stdin, err := adv.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := adv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := adv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); adv.Wait() })
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("advertiser: %q", line)
	}
	out, err := helper(nsB, vB, "browse").Output()
	if err != nil {
		t.Fatalf("browser: %v: %s", err, out)
	}
	var got struct {
		Addr string
		Info discovery.Info
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("browser said %q: %v", out, err)
	}
	want := discovery.Info{Branch: "MAIN", Institution: "STACKS", TLS: true, Protocol: "2.00"}
	if got.Addr != "10.231.7.1:6001" || got.Info != want {
		t.Fatalf("resolved %+v, want 10.231.7.1:6001 %+v", got, want)
	}
}
