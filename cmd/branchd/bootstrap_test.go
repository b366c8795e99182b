package main

import (
	"strings"
	"testing"
)

// TestBootstrapFlags: --bootstrap-from and --bootstrap-force reach the
// config; a central node is refused a bootstrap.
func TestBootstrapFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"--branch", "EAST", "--bootstrap-from", "https://central-1:7443", "--bootstrap-force"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bootstrap.From != "https://central-1:7443" || !cfg.Bootstrap.Force {
		t.Fatalf("bootstrap %+v", cfg.Bootstrap)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg, err = parseFlags([]string{"--branch", "EAST"})
	if err != nil || cfg.Bootstrap.From != "" || cfg.Bootstrap.Force {
		t.Fatalf("no flags: %+v %v", cfg.Bootstrap, err)
	}
	cfg, err = parseFlags([]string{"--role", "central", "--raft", "127.0.0.1:0", "--bootstrap-from", "http://x"})
	if err == nil {
		err = cfg.Validate()
	}
	if err == nil || !strings.Contains(err.Error(), "Raft") {
		t.Fatalf("central with --bootstrap-from: %v", err)
	}
}
