package main

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"stacks/node"
)

// TestDefaultListenersAreLoopback: with no flags, nothing listens beyond
// this machine. The demo's logins are in the README, so serving kiosks or
// staff on the LAN must be asked for.
func TestDefaultListenersAreLoopback(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct{ flag, addr string }{
		{"--http", cfg.HTTPAddr},
		{"--sip2", cfg.SIP2Addr},
		{"--raft", cfg.Central.RaftAddr},
		{"--sync-listen", cfg.SyncAddr},
	} {
		if l.addr == "" {
			continue // not listening
		}
		host, _, err := net.SplitHostPort(l.addr)
		if err != nil {
			t.Fatalf("%s default %q: %v", l.flag, l.addr, err)
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			t.Errorf("%s defaults to %q, not a loopback address", l.flag, l.addr)
		}
	}
	if cfg.SIP2Addr != node.DefaultSIP2Addr || !cfg.SIP2Optional {
		t.Errorf("SIP2 default = %q (optional %v), want %q, optional", cfg.SIP2Addr, cfg.SIP2Optional, node.DefaultSIP2Addr)
	}
}

// TestSIP2AddrGiven: an address given on purpose is used as given and must
// be available (an error if it is taken, not a logged one).
func TestSIP2AddrGiven(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		want     string
		optional bool
	}{
		{nil, node.DefaultSIP2Addr, true},
		{[]string{"--sip2", ":6001"}, ":6001", false},
		{[]string{"--sip2", "10.0.0.5:6001"}, "10.0.0.5:6001", false},
		{[]string{"--sip2", node.DefaultSIP2Addr}, node.DefaultSIP2Addr, false},
		{[]string{"--sip2", ""}, "", false},
	} {
		cfg, err := parseFlags(tc.args)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if cfg.SIP2Addr != tc.want || cfg.SIP2Optional != tc.optional {
			t.Errorf("%q: SIP2 %q optional %v, want %q optional %v", tc.args, cfg.SIP2Addr, cfg.SIP2Optional, tc.want, tc.optional)
		}
	}
}

// TestNoticeFlags: the notice channels' flags reach the config, secrets
// from their files.
func TestNoticeFlags(t *testing.T) {
	dir := t.TempDir()
	pass, tok := filepath.Join(dir, "smtp.pass"), filepath.Join(dir, "sms.token")
	os.WriteFile(pass, []byte("s3cret\n"), 0o600)
	os.WriteFile(tok, []byte("t0ken\n"), 0o600)
	cfg, err := parseFlags([]string{"--smtp", "127.0.0.1:2525", "--mail-from", "library@example.org", "--smtp-starttls", "required",
		"--smtp-user", "stacks", "--smtp-password-file", pass, "--sms-webhook", "https://sms.example.org/send", "--sms-token-file", tok,
		"--notice-templates", dir, "--public-url", "https://library.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.Notify
	if n.SMTPAddr != "127.0.0.1:2525" || n.MailFrom != "library@example.org" || n.StartTLS != "required" || n.SMTPUser != "stacks" ||
		n.SMTPPassword != "s3cret" || n.SMSWebhook != "https://sms.example.org/send" || n.SMSToken != "t0ken" || n.TemplateDir != dir ||
		n.PublicURL != "https://library.example.org" {
		t.Fatalf("notify config %+v", n)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	bad, err := parseFlags([]string{"--smtp", "127.0.0.1:2525"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "--mail-from") {
		t.Fatalf("--smtp without --mail-from: %v", err)
	}
	if _, err := parseFlags([]string{"--smtp-password-file", filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("a missing password file was accepted")
	}
}

// TestGoMemoryLimit: branchd sets a soft memory limit of 256 MiB unless
// told otherwise; GOMEMLIMIT in the environment wins; a negative one is
// refused.
func TestGoMemoryLimit(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GoMemoryLimit != 256<<20 || goMemoryLimit("", cfg.GoMemoryLimit) != 256<<20 {
		t.Errorf("default limit %d", cfg.GoMemoryLimit)
	}
	if goMemoryLimit("1GiB", cfg.GoMemoryLimit) != 0 {
		t.Error("GOMEMLIMIT in the environment should win")
	}
	if cfg, err = parseFlags([]string{"--go-memory-limit-mib", "0"}); err != nil || goMemoryLimit("", cfg.GoMemoryLimit) != 0 {
		t.Errorf("0: %v %d", err, cfg.GoMemoryLimit)
	}
	if _, err := parseFlags([]string{"--go-memory-limit-mib", "-1"}); err == nil {
		t.Error("a negative limit was accepted")
	}
}

// TestGoGCPercent: branchd sets the collector's target to 400 % unless
// told otherwise; GOGC in the environment wins; less than 1 is refused.
func TestGoGCPercent(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GoGCPercent != 400 || goGCPercent("", cfg.GoGCPercent) != 400 {
		t.Errorf("default %d", cfg.GoGCPercent)
	}
	if goGCPercent("150", cfg.GoGCPercent) != 0 {
		t.Error("GOGC in the environment should win")
	}
	if cfg, err = parseFlags([]string{"--go-gc-percent", "200"}); err != nil || goGCPercent("", cfg.GoGCPercent) != 200 {
		t.Errorf("200: %v %d", err, cfg.GoGCPercent)
	}
	if _, err := parseFlags([]string{"--go-gc-percent", "0"}); err == nil {
		t.Error("a target of 0 was accepted")
	}
}

// TestSteadySysmonEnv: branchd starts again with schedtrace added to
// GODEBUG (keeping what GODEBUG held), not when GODEBUG sets schedtrace
// already, and not at all with --go-steady-sysmon=false.
func TestSteadySysmonEnv(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil || !cfg.GoSteadySysmon {
		t.Fatalf("on by default: %v %v", err, cfg.GoSteadySysmon)
	}
	if cfg, err = parseFlags([]string{"--go-steady-sysmon=false"}); err != nil || cfg.GoSteadySysmon {
		t.Errorf("--go-steady-sysmon=false: %v %v", err, cfg.GoSteadySysmon)
	}
	for _, c := range []struct {
		in    []string
		want  string // GODEBUG after
		again bool
	}{
		{[]string{"PATH=/bin"}, "schedtrace=2147483647", true},
		{[]string{"GODEBUG=gctrace=1", "PATH=/bin"}, "gctrace=1,schedtrace=2147483647", true},
		{[]string{"GODEBUG=gctrace=1,schedtrace=1000"}, "gctrace=1,schedtrace=1000", false},
		{[]string{"GODEBUG=" + steadySchedtrace}, steadySchedtrace, false},
	} {
		env, again := steadySysmonEnv(c.in)
		var got []string
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
				got = append(got, v)
			}
		}
		if again != c.again || len(got) != 1 || got[0] != c.want {
			t.Errorf("%q: GODEBUG %q, start again %v; want %q, %v", c.in, got, again, c.want, c.again)
		}
		if c.again && !slices.Contains(env, "PATH=/bin") && slices.Contains(c.in, "PATH=/bin") {
			t.Errorf("%q: the rest of the environment was lost: %q", c.in, env)
		}
	}
}

// --notice-link-days sets how long the links in notices work (90 days by
// default); less than a day is refused.
func TestNoticeLinkDaysFlag(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil || cfg.Notify.LinkTTL != 90*24*time.Hour {
		t.Fatalf("default: %v %v", cfg.Notify.LinkTTL, err)
	}
	cfg, err = parseFlags([]string{"--notice-link-days", "30"})
	if err != nil || cfg.Notify.LinkTTL != 30*24*time.Hour {
		t.Fatalf("30: %v %v", cfg.Notify.LinkTTL, err)
	}
	if _, err := parseFlags([]string{"--notice-link-days", "0"}); err == nil {
		t.Fatal("0 days accepted")
	}
}
