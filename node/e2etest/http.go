package e2etest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// StaffGet reads url as the demo's admin into v; anything but 200 fails.
func StaffGet(t testing.TB, url string, v any) {
	t.Helper()
	if code := Call(t, "GET", url, Staff, nil, v); code != http.StatusOK {
		t.Fatalf("GET %s: %d", url, code)
	}
}

// Staff is the demo's admin login (patrons' data needs one).
const Staff = "basic:admin:admin"

// Call sends body (JSON, when not nil) to url with auth ("" for none,
// Staff, or a patron's bearer token) and decodes the answer into out
// (when not nil); it returns the status.
func Call(t testing.TB, method, url, auth string, body, out any) int {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case auth == Staff:
		req.SetBasicAuth("admin", "admin")
	case auth != "":
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	return resp.StatusCode
}
