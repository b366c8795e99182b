package node_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"stacks/branch/domain"
	"stacks/node"
	"stacks/node/nodetest"
)

// branchd serves the patron web beside the API on its HTTP listener, with
// the branding of its config; the API's answers are unchanged.
func TestBranchdServesThePatronWeb(t *testing.T) {
	cfg := branchConfig(t, &logBuffer{})
	cfg.Branding.Name = "Eastside <Library>"
	n := nodetest.Start(t, cfg)
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get("http://" + n.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("/")
	if resp.StatusCode != 200 || !strings.Contains(body, "Eastside &lt;Library&gt;") || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("home: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get("/login"); resp.StatusCode != 200 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	if resp, _ := get("/static/style.css"); resp.StatusCode != 200 {
		t.Fatalf("style: %d", resp.StatusCode)
	}
	if resp, body := get("/api/v1/nope"); resp.StatusCode != 404 || !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
		t.Fatalf("API unknown route: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get("/healthz"); resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
}

func TestBrandingValidated(t *testing.T) {
	cfg := node.DefaultConfig()
	cfg.Branding.Primary = "red"
	if err := cfg.Validate(); err == nil {
		t.Fatal("a colour that is not #rrggbb was accepted")
	}
}

// The patron web searches through the catalogue's index: "francais" finds
// "Français" (accents folded), "gardening" finds "Gardens" (stemmed), which
// the substring search it had before did not.
func TestPatronWebSearchUsesTheIndex(t *testing.T) {
	n := nodetest.Start(t, branchConfig(t, &logBuffer{}))
	ctx := context.Background()
	for _, title := range []string{"Le français pour tous", "Gardens of the north"} {
		if _, err := n.Service().AddBiblio(ctx, domain.NewBiblio{Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string]string{"francais": "Le français pour tous", "gardening": "Gardens of the north"} {
		resp, err := http.Get("http://" + n.Addr() + "/search?q=" + q)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("/search?q=%s: %d, want %q in the page", q, resp.StatusCode, want)
		}
	}
}
