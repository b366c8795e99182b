package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPaymentFlags: the provider's URL from a flag, its secret from a file
// (or the environment), and a config that cannot work is refused.
func TestPaymentFlags(t *testing.T) {
	t.Setenv("STACKS_PAYMENT_SECRET", "")
	cfg, err := parseFlags(nil)
	if err != nil || cfg.PaymentURL != "" || cfg.PaymentSecret != "" {
		t.Fatalf("no flags: %q %q %v", cfg.PaymentURL, cfg.PaymentSecret, err)
	}
	file := filepath.Join(t.TempDir(), "pay.secret")
	if err := os.WriteFile(file, []byte("a-secret-shared-with-the-provider\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = parseFlags([]string{"--payment-url", "https://pay.example.org", "--payment-secret-file", file})
	if err != nil || cfg.PaymentURL != "https://pay.example.org" || cfg.PaymentSecret != "a-secret-shared-with-the-provider" {
		t.Fatalf("flags: %q %q %v", cfg.PaymentURL, cfg.PaymentSecret, err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	t.Setenv("STACKS_PAYMENT_SECRET", "from-the-environment-0123")
	cfg, err = parseFlags([]string{"--payment-url", "https://pay.example.org"})
	if err != nil || cfg.PaymentSecret != "from-the-environment-0123" {
		t.Fatalf("env: %q %v", cfg.PaymentSecret, err)
	}
	cfg.PaymentSecret = ""
	if err := cfg.Validate(); err == nil {
		t.Fatal("a provider URL without a secret was accepted")
	}
	if _, err := parseFlags([]string{"--payment-secret-file", filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("a missing secret file was accepted")
	}
}
