package httpapi_test

import (
	"bytes"
	"net/http"
	"testing"

	"stacks/branch/domain"
)

func TestPatrons(t *testing.T) {
	f := newFixture(t)
	var p domain.Patron
	t.Run("CreateOK", func(t *testing.T) {
		r := f.do("POST", "/api/v1/patrons", map[string]any{"firstname": "Erin", "surname": "Evans", "category_id": "ADULT",
			"pin": "9876", "email": "erin@example.org", "date_of_birth": "1990-05-01"})
		r.want(t, http.StatusCreated, &p)
		if p.PatronID == "" || len(p.Cardnumber) != 14 || p.HomeBranch != "MAIN" || p.ExpiryDate != "2026-03-03" {
			t.Errorf("new patron %+v", p)
		}
		if got, want := r.header.Get("Location"), "/api/v1/patrons/"+p.PatronID; got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
		noSecrets(t, r.body)
	})
	t.Run("Get", func(t *testing.T) {
		var got domain.Patron
		r := f.do("GET", "/api/v1/patrons/"+p.PatronID, nil)
		r.want(t, http.StatusOK, &got)
		if got != p {
			t.Errorf("got %+v, want %+v", got, p)
		}
		noSecrets(t, r.body)
	})
	t.Run("Patch", func(t *testing.T) {
		var got domain.Patron
		f.do("PATCH", "/api/v1/patrons/"+p.PatronID, map[string]any{"phone": "555-0100", "category_id": "CHILD", "pin": "1111"}).
			want(t, http.StatusOK, &got)
		if got.Phone != "555-0100" || got.Category != "CHILD" || got.Surname != "Evans" {
			t.Errorf("patched %+v", got)
		}
		f.do("PATCH", "/api/v1/patrons/"+p.PatronID, map[string]any{"category_id": "NOPE"}).wantProblem(t, http.StatusNotFound, "category_not_found")
		f.do("PATCH", "/api/v1/patrons/"+p.PatronID, map[string]any{}).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("PATCH", "/api/v1/patrons/nobody", map[string]any{"phone": "1"}).wantProblem(t, http.StatusNotFound, "patron_not_found")
	})
	t.Run("DuplicateCard", func(t *testing.T) {
		f.do("POST", "/api/v1/patrons", map[string]any{"cardnumber": p.Cardnumber, "surname": "Twin", "category_id": "ADULT", "pin": "1234"}).
			wantProblem(t, http.StatusConflict, "duplicate_cardnumber")
	})
	t.Run("ByCardnumber", func(t *testing.T) {
		var got []domain.Patron
		f.do("GET", "/api/v1/patrons?cardnumber="+p.Cardnumber, nil).want(t, http.StatusOK, &got)
		if len(got) != 1 || got[0].PatronID != p.PatronID {
			t.Errorf("by cardnumber: %+v", got)
		}
		r := f.do("GET", "/api/v1/patrons?cardnumber=99999", nil)
		r.want(t, http.StatusOK, &got)
		if string(bytes.TrimSpace(r.body)) != "[]" {
			t.Errorf("no match: %s, want []", r.body)
		}
		f.do("GET", "/api/v1/patrons?cardnumber=a%20b", nil).wantProblem(t, http.StatusBadRequest, "bad_barcode")
	})
	t.Run("Search", func(t *testing.T) {
		var got []domain.Patron
		f.do("GET", "/api/v1/patrons?q=archer", nil).want(t, http.StatusOK, &got)
		if len(got) != 1 || got[0].Firstname != "Alice" {
			t.Errorf("search archer: %+v", got)
		}
		f.do("GET", "/api/v1/patrons", nil).want(t, http.StatusOK, &got)
		if len(got) != 5 {
			t.Errorf("all patrons: %d, want 5", len(got))
		}
		f.do("GET", "/api/v1/patrons?_per_page=2&_page=2", nil).want(t, http.StatusOK, &got)
		if len(got) != 2 || got[0].Surname != "Cooper" {
			t.Errorf("page 2 of 2: %+v", got)
		}
		f.do("GET", "/api/v1/patrons?_per_page=2&_page=3", nil).want(t, http.StatusOK, &got)
		if len(got) != 1 || got[0].Surname != "Evans" {
			t.Errorf("page 3 of 2: %+v", got)
		}
	})
	t.Run("Status", func(t *testing.T) {
		var st domain.PatronStatus
		f.do("GET", "/api/v1/patrons/"+f.patrons["Dave"].PatronID+"/status", nil).want(t, http.StatusOK, &st)
		if st.CanBorrow || len(st.Blocks) != 1 || st.Patron.PatronID != f.patrons["Dave"].PatronID {
			t.Errorf("blocked patron's status %+v", st)
		}
	})
	t.Run("BlockUnblock", func(t *testing.T) {
		var got domain.Patron
		id := f.patrons["Bob"].PatronID
		f.do("POST", "/api/v1/patrons/"+id+"/block", map[string]string{"reason": ""}).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("POST", "/api/v1/patrons/"+id+"/block", map[string]string{"reason": "rude"}).want(t, http.StatusOK, &got)
		if !got.Blocked || got.BlockReason != "rude" {
			t.Errorf("blocked: %+v", got)
		}
		f.do("POST", "/api/v1/checkouts", map[string]string{"cardnumber": got.Cardnumber, "barcode": "B0002"}).
			wantProblem(t, http.StatusForbidden, "patron_blocked")
		f.do("DELETE", "/api/v1/patrons/"+id+"/block", nil).want(t, http.StatusOK, &got)
		if got.Blocked {
			t.Errorf("unblocked: %+v", got)
		}
	})
	t.Run("ExpireAndRenewCard", func(t *testing.T) {
		var got domain.Patron
		id := f.patrons["Bob"].PatronID
		f.do("POST", "/api/v1/patrons/"+id+"/expiry", nil).want(t, http.StatusOK, &got)
		if got.ExpiryDate != "2025-03-02" {
			t.Errorf("expired card: %s", got.ExpiryDate)
		}
		r := f.do("POST", "/api/v1/checkouts", map[string]string{"cardnumber": got.Cardnumber, "barcode": "B0002"})
		if p := r.wantProblem(t, http.StatusForbidden, "card_expired"); !p.Overridable {
			t.Error("card_expired is not marked overridable")
		}
		f.do("POST", "/api/v1/patrons/"+id+"/card_renewal", nil).want(t, http.StatusOK, &got)
		if got.ExpiryDate != "2026-03-03" {
			t.Errorf("renewed card: %s", got.ExpiryDate)
		}
	})
	t.Run("EmptyLists", func(t *testing.T) {
		for _, sub := range []string{"checkouts", "holds", "checkouts?history=true"} {
			r := f.do("GET", "/api/v1/patrons/"+p.PatronID+"/"+sub, nil)
			r.want(t, http.StatusOK, nil)
			if string(bytes.TrimSpace(r.body)) != "[]" {
				t.Errorf("%s: %s, want []", sub, r.body)
			}
		}
		f.do("GET", "/api/v1/patrons/"+p.PatronID+"/checkouts?history=maybe", nil).wantProblem(t, http.StatusBadRequest, "invalid")
	})
}

// noSecrets fails if a response carries a PIN or password hash.
func noSecrets(t *testing.T, body []byte) {
	t.Helper()
	for _, s := range []string{"$2a$", "$2b$", `"pin`, "hash", "password"} {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("response contains %q: %s", s, body)
		}
	}
}
