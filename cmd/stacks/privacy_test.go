package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node"
	"stacks/node/client"
)

// TestExportAndForget: 'stacks export' prints a patron's data from a real
// node, by card number; 'stacks forget' wants a reason, then erases them.
func TestExportAndForget(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a demo node")
	}
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost = t.TempDir(), "127.0.0.1:0", 4
	n := startNode(t, cfg)
	base := "http://" + n.Addr()
	ctx := context.Background()
	c, err := client.New(client.Config{BaseURL: base, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.WithLogin("admin", "admin").RegisterPatron(ctx, domain.NewPatron{Cardnumber: "29990000012345", Firstname: "Ilmari",
		Surname: "Forgetme", Category: "ADULT", PIN: "1234", Email: "ilmari@example.fi"})
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"export", "-node", base, "-u", "admin:admin", "-card", "29990000012345"}, &out, &errOut); err != nil {
		t.Fatalf("export: %v %s", err, errOut.String())
	}
	var ex map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &ex); err != nil || !strings.Contains(string(ex["patron"]), "Forgetme") {
		t.Fatalf("export output: %v %s", err, out.String())
	}
	if err := run(ctx, []string{"forget", "-node", base, "-u", "admin:admin", "-patron", p.PatronID}, &out, &errOut); err == nil ||
		!strings.Contains(err.Error(), "-reason") {
		t.Fatalf("forget without a reason: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"forget", "-node", base, "-u", "admin:admin", "-patron", p.PatronID, "-reason", "asked at the desk"}, &out, &errOut); err != nil {
		t.Fatalf("forget: %v", err)
	}
	if !strings.Contains(out.String(), "erased at") {
		t.Fatalf("forget output %q", out.String())
	}
	got, err := c.WithLogin("admin", "admin").Patron(ctx, p.PatronID)
	if err != nil || got.Surname != "" || got.Cardnumber != "" {
		t.Fatalf("after forget: %+v %v", got, err)
	}
}
