package node_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestErasureAcrossPartitionedBranches: three branchd processes; a patron
// registered on MAIN reaches all three; WEST is cut off and there the
// patron's name and phone are edited; MAIN's supervisor erases the patron;
// WEST edits once more; the link heals. All three converge on one state,
// the late edits did not restore anything, and after the nodes' own
// checkpoint the patron's name, card number, email and phone (old and new)
// are in no byte of any node's data directory (database and WAL).
func TestErasureAcrossPartitionedBranches(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three branchd processes")
	}
	addrA, addrB, addrC := freeAddr(t), freeAddr(t), freeAddr(t)
	aToB, bToA := newLinkProxy(t, addrB), newLinkProxy(t, addrA)
	aToC, cToA := newLinkProxy(t, addrC), newLinkProxy(t, addrA)
	fast := []string{"--sync-interval", "150ms", "--hold-sweep", "200ms"}
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	a := startBranchd(t, append(fast, "--data", dirs[0], "--http", addrA, "--peer", aToB.url(), "--peer", aToC.url())...)
	b := startBranchd(t, append(fast, "--data", dirs[1], "--http", addrB, "--branch", "EAST", "--demo=false", "--peer", bToA.url())...)
	c := startBranchd(t, append(fast, "--data", dirs[2], "--http", addrC, "--branch", "WEST", "--demo=false", "--peer", cToA.url())...)
	urls := []string{a.url, b.url, c.url}

	const (
		card    = "29471036558211"
		first   = "Zephyrine"
		surname = "Oakenshield-Varga"
		email   = "zephyrine.ov@example.net"
		phone   = "+358405550199"
		late1   = "+358405550277"
		late2   = "Zephyrella"
		late3   = "late.zephyrine@example.net"
	)
	code, body, err := postJSON(a.url+"/api/v1/patrons", map[string]any{"cardnumber": card, "firstname": first, "surname": surname,
		"email": email, "phone": phone, "category_id": "ADULT", "pin": "1234"})
	if err != nil || code != 201 {
		t.Fatalf("register: %d %v %v", code, body, err)
	}
	id, _ := body["patron_id"].(string)
	converged(t, urls, 90*time.Second)

	patch := func(url string, fields map[string]any) {
		t.Helper()
		b, _ := json.Marshal(fields)
		resp, err := asAdmin("PATCH", url+"/api/v1/patrons/"+id, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("edit on %s: %s", url, resp.Status)
		}
	}
	// Cut WEST off; there the patron is edited, knowing nothing of what follows.
	aToC.set(false)
	cToA.set(false)
	patch(c.url, map[string]any{"phone": late1, "firstname": late2})
	code, body, err = postJSON(a.url+"/api/v1/patrons/"+id+"/erasure", map[string]string{"reason": "GDPR article 17 request"})
	if err != nil || code != 200 {
		t.Fatalf("erasure: %d %v %v", code, body, err)
	}
	converged(t, []string{a.url, b.url}, 30*time.Second)
	patch(c.url, map[string]any{"email": late3})

	aToC.set(true)
	cToA.set(true)
	converged(t, urls, 60*time.Second)
	for _, u := range urls {
		var p map[string]any
		if st := getJSON(t, u+"/api/v1/patrons/"+id, &p); st != 200 {
			t.Fatalf("patron on %s: %d", u, st)
		}
		for _, k := range []string{"cardnumber", "firstname", "surname", "email", "phone"} {
			if v, _ := p[k].(string); v != "" {
				t.Fatalf("%s still has %s=%q after healing: %v", u, k, v, p)
			}
		}
	}
	values := []string{card, first, surname, email, phone, late1, late2, late3}
	// Each node checkpoints its WAL to nothing once it learns of the
	// erasure (at its sweep interval): poll until no file holds a value.
	deadline := time.Now().Add(30 * time.Second)
	for i, dir := range dirs {
		for {
			found := grepDir(t, dir, values)
			if found == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d: %s", i, found)
			}
			time.Sleep(100 * time.Millisecond) // poll
		}
	}
	// And the export of the erased patron says so, with nothing personal.
	var ex map[string]json.RawMessage
	getJSON(t, b.url+"/api/v1/patrons/"+id+"/export", &ex)
	if len(ex["privacy"]) < 10 {
		t.Fatalf("export of an erased patron: %s", ex["privacy"])
	}
}

// grepDir names the first file under dir holding one of values, or "".
func grepDir(t *testing.T, dir string, values []string) string {
	t.Helper()
	var found string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil // a file removed meanwhile (the WAL at a checkpoint)
		}
		for _, v := range values {
			if i := bytes.Index(b, []byte(v)); i >= 0 {
				found = fmt.Sprintf("%q in %s at %d", v, filepath.Base(path), i)
				return nil
			}
		}
		return nil
	})
	return found
}
