package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// onlyReader hides a body's length, so it is sent chunked.
type onlyReader struct{ io.Reader }

// TestBadInput sends requests that must be refused whole: after each, the
// node's state hash is what it was.
func TestBadInput(t *testing.T) {
	f := newFixtureWith(t, fixtureConfig{seed: true, maxBody: 4096})
	alice := f.patrons["Alice"]
	huge := `{"cardnumber":"` + alice.Cardnumber + `","barcode":"B0001","x":"` + strings.Repeat("a", 8192) + `"}`
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		opts   []reqOpt
		status int
		code   string
	}{
		{"MalformedJSON", "POST", "/api/v1/checkouts", rawBody(`{"cardnumber":`), nil, http.StatusBadRequest, "bad_json"},
		{"NotJSON", "POST", "/api/v1/checkouts", rawBody(`cardnumber=1&barcode=2`), nil, http.StatusBadRequest, "bad_json"},
		{"UnknownField", "POST", "/api/v1/patrons", rawBody(`{"surname":"X","category_id":"ADULT","pin":"1234","nickname":"x"}`), nil, http.StatusBadRequest, "bad_json"},
		{"PINHashNotSettable", "POST", "/api/v1/patrons", rawBody(`{"surname":"X","category_id":"ADULT","PINHash":"$2a$04$abc"}`), nil, http.StatusBadRequest, "bad_json"},
		{"WrongType", "POST", "/api/v1/checkouts", rawBody(`{"cardnumber":21000000000001,"barcode":"B0001"}`), nil, http.StatusBadRequest, "bad_json"},
		{"WrongTypeNested", "POST", "/api/v1/checkouts", rawBody(`{"cardnumber":"21000000000001","barcode":"B0001","override":"please"}`), nil, http.StatusBadRequest, "bad_json"},
		{"NotAnObject", "POST", "/api/v1/checkins", rawBody(`["B0001"]`), nil, http.StatusBadRequest, "bad_json"},
		{"TrailingGarbage", "POST", "/api/v1/checkins", rawBody(`{"barcode":"B0001"} {"barcode":"B0002"}`), nil, http.StatusBadRequest, "bad_json"},
		{"TrailingBrace", "POST", "/api/v1/checkins", rawBody(`{"barcode":"B0001"}}`), nil, http.StatusBadRequest, "bad_json"},
		{"EmptyBody", "POST", "/api/v1/checkouts", nil, nil, http.StatusBadRequest, "bad_json"},
		{"OptionalBodyMalformed", "POST", "/api/v1/checkouts/x/renewal", rawBody(`{`), nil, http.StatusBadRequest, "bad_json"},
		{"HugeBody", "POST", "/api/v1/checkouts", rawBody(huge), nil, http.StatusRequestEntityTooLarge, "body_too_large"},
		{"HugeBodyChunked", "POST", "/api/v1/checkouts", onlyReader{strings.NewReader(huge)}, nil, http.StatusRequestEntityTooLarge, "body_too_large"},
		{"UnknownBarcode", "POST", "/api/v1/checkouts", map[string]string{"cardnumber": alice.Cardnumber, "barcode": "NOPE1"}, nil, http.StatusNotFound, "item_not_found"},
		{"BarcodeWithSpaces", "POST", "/api/v1/checkouts", map[string]string{"cardnumber": alice.Cardnumber, "barcode": "B 0001"}, nil, http.StatusBadRequest, "bad_barcode"},
		{"BarcodeTooLong", "POST", "/api/v1/checkins", map[string]string{"barcode": strings.Repeat("9", 33)}, nil, http.StatusBadRequest, "bad_barcode"},
		{"AbsurdExpiry", "POST", "/api/v1/patrons", map[string]string{"surname": "X", "category_id": "ADULT", "pin": "1234", "expiry_date": "99999-01-01"}, nil, http.StatusBadRequest, "invalid"},
		{"AbsurdExpiryPatch", "PATCH", "/api/v1/patrons/" + alice.PatronID, map[string]string{"expiry_date": "99999-01-01"}, nil, http.StatusBadRequest, "invalid"},
		{"NotADate", "PATCH", "/api/v1/patrons/" + alice.PatronID, map[string]string{"date_of_birth": "yesterday"}, nil, http.StatusBadRequest, "invalid"},
		{"BadEmail", "POST", "/api/v1/patrons", map[string]string{"surname": "X", "category_id": "ADULT", "pin": "1234", "email": "not an email"}, nil, http.StatusBadRequest, "invalid"},
		{"ShortPIN", "POST", "/api/v1/patrons", map[string]string{"surname": "X", "category_id": "ADULT", "pin": "1"}, nil, http.StatusBadRequest, "invalid"},
		{"ControlChars", "POST", "/api/v1/patrons", map[string]string{"surname": "X\nY", "category_id": "ADULT", "pin": "1234"}, nil, http.StatusBadRequest, "invalid"},
		{"UnknownCategory", "POST", "/api/v1/patrons", map[string]string{"surname": "X", "category_id": "NOPE", "pin": "1234"}, nil, http.StatusNotFound, "category_not_found"},
		{"NegativePrice", "POST", "/api/v1/items", map[string]any{"barcode": "N1", "biblio_id": f.biblios["Dune"].BiblioID, "item_type_id": "BOOK", "price_cents": -5}, nil, http.StatusBadRequest, "invalid"},
		{"NumberTooBig", "POST", "/api/v1/items", rawBody(`{"barcode":"N1","price_cents":1e400}`), nil, http.StatusBadRequest, "bad_json"},
		{"BadRule", "PUT", "/api/v1/circulation-rules", map[string]any{"library_id": "*", "category_id": "*", "item_type_id": "*", "loan_days": -1}, nil, http.StatusBadRequest, "invalid"},
		{"RuleKeyMissing", "DELETE", "/api/v1/circulation-rules?library_id=*&category_id=*", nil, nil, http.StatusBadRequest, "invalid"},
		{"RuleKeySpaces", "DELETE", "/api/v1/circulation-rules?library_id=*&category_id=*&item_type_id=a+b", nil, nil, http.StatusBadRequest, "invalid"},
		{"BadHours", "PUT", "/api/v1/calendar/hours", map[string]any{"weekday": 1, "opens": "25:00", "closes": "26:00"}, nil, http.StatusBadRequest, "invalid"},
		{"BadClosedDate", "PUT", "/api/v1/calendar/closed", map[string]any{"date": "2025-02-30", "closed": true}, nil, http.StatusBadRequest, "invalid"},
		{"LibraryIDMismatch", "PUT", "/api/v1/libraries/MAIN", map[string]any{"library_id": "EAST", "name": "x"}, nil, http.StatusBadRequest, "invalid"},
		{"BadRole", "PUT", "/api/v1/staff/eve", map[string]any{"role": "wizard", "password": "secret"}, nil, http.StatusBadRequest, "invalid"},
		{"WrongPassword", "POST", "/api/v1/checkouts", map[string]string{"cardnumber": alice.Cardnumber, "barcode": "B0001"}, []reqOpt{basicAuth("admin", "nope")}, http.StatusUnauthorized, "bad_credentials"},
		{"BadChannel", "POST", "/api/v1/checkouts", map[string]string{"cardnumber": alice.Cardnumber, "barcode": "B0001"}, []reqOpt{header("X-Stacks-Channel", "fax")}, http.StatusBadRequest, "invalid"},
		{"UnknownRoute", "POST", "/api/v1/checkout", map[string]string{"cardnumber": alice.Cardnumber, "barcode": "B0001"}, nil, http.StatusNotFound, "not_found"},
		{"WrongMethod", "PUT", "/api/v1/checkouts", map[string]string{"cardnumber": alice.Cardnumber, "barcode": "B0001"}, nil, http.StatusMethodNotAllowed, "method_not_allowed"},
		{"UnknownQueryParam", "POST", "/api/v1/checkins?force=1", map[string]string{"barcode": "B0001"}, nil, http.StatusBadRequest, "invalid"},
		{"BadPage", "GET", "/api/v1/items?_page=0", nil, nil, http.StatusBadRequest, "invalid"},
		{"BadPerPage", "GET", "/api/v1/biblios?_per_page=-1", nil, nil, http.StatusBadRequest, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.stateHash()
			f.do(tt.method, tt.path, tt.body, tt.opts...).wantProblem(t, tt.status, tt.code)
			if after := f.stateHash(); after != before {
				t.Errorf("state hash changed from %s to %s", before, after)
			}
		})
	}
	// The refusals left nothing behind: Alice has nothing on loan and B0001
	// is on the shelf.
	var ls []loanJSON
	f.do("GET", "/api/v1/checkouts?patron_id="+alice.PatronID, nil).want(t, http.StatusOK, &ls)
	if len(ls) != 0 {
		t.Errorf("loans after refusals: %+v", ls)
	}
}

// TestBadJSONDetail checks that a refused body is explained in plain words.
func TestBadJSONDetail(t *testing.T) {
	f := newFixtureWith(t, fixtureConfig{})
	tests := []struct {
		name, body, want string
	}{
		{"UnknownField", `{"barcode":"B1","colour":"red"}`, `"colour"`},
		{"WrongType", `{"barcode":12}`, `"barcode" must be a string`},
		{"Trailing", `{"barcode":"B1"}x`, "after its JSON value"},
		{"Truncated", `{"barcode":"B1"`, "ends before"},
		{"Empty", ``, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := f.do("POST", "/api/v1/checkins", rawBody(tt.body)).wantProblem(t, http.StatusBadRequest, "bad_json")
			if !strings.Contains(p.Detail, tt.want) {
				t.Errorf("detail %q lacks %q", p.Detail, tt.want)
			}
		})
	}
}
