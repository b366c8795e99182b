package httpapi_test

import (
	"net/http"
	"testing"

	"stacks/branch/domain"
)

func TestRegistry(t *testing.T) {
	f := newFixture(t)
	t.Run("Libraries", func(t *testing.T) {
		var ls []domain.Library
		r := f.do("GET", "/api/v1/libraries", nil)
		r.want(t, http.StatusOK, &ls)
		if len(ls) != 2 || ls[0].BranchID != "EAST" || r.header.Get("X-Total-Count") != "2" {
			t.Errorf("libraries %s", r.body)
		}
		var l domain.Library
		f.do("PUT", "/api/v1/libraries/WEST", map[string]any{"name": "West Branch", "phone": "555-0199"}).want(t, http.StatusOK, &l)
		if l.BranchID != "WEST" || l.Name != "West Branch" || l.HoldShelfDays != 7 {
			t.Errorf("new library %+v", l)
		}
		f.do("GET", "/api/v1/libraries/WEST", nil).want(t, http.StatusOK, &l)
		if l.Phone != "555-0199" {
			t.Errorf("library %+v", l)
		}
		f.do("GET", "/api/v1/libraries?_per_page=1&_page=3", nil).want(t, http.StatusOK, &ls)
		if len(ls) != 1 || ls[0].BranchID != "WEST" {
			t.Errorf("page 3 of libraries %+v", ls)
		}
		f.do("PUT", "/api/v1/libraries/WEST", map[string]any{"name": ""}).wantProblem(t, http.StatusBadRequest, "invalid")
	})
	t.Run("Categories", func(t *testing.T) {
		var c domain.Category
		f.do("PUT", "/api/v1/patron_categories/STAFF", map[string]any{"description": "Staff", "max_holds": 50}).want(t, http.StatusOK, &c)
		if c.Category != "STAFF" || c.EnrolmentMonths != 12 || c.MaxHolds != 50 {
			t.Errorf("category %+v", c)
		}
		var cs []domain.Category
		f.do("GET", "/api/v1/patron_categories", nil).want(t, http.StatusOK, &cs)
		if len(cs) != 3 {
			t.Errorf("categories %+v", cs)
		}
		f.do("PUT", "/api/v1/patron_categories/STAFF", map[string]any{"max_holds": -1}).wantProblem(t, http.StatusBadRequest, "invalid")
	})
	t.Run("ItemTypes", func(t *testing.T) {
		var it domain.ItemType
		f.do("PUT", "/api/v1/item_types/MAG", map[string]any{"description": "Magazine", "replacement_cents": 500}).want(t, http.StatusOK, &it)
		if it.ItemType != "MAG" || it.ReplacementCents != 500 {
			t.Errorf("item type %+v", it)
		}
		var ts []domain.ItemType
		f.do("GET", "/api/v1/item_types", nil).want(t, http.StatusOK, &ts)
		if len(ts) != 4 {
			t.Errorf("item types %+v", ts)
		}
	})
	t.Run("Rules", func(t *testing.T) {
		var rs []domain.Rule
		f.do("GET", "/api/v1/circulation-rules", nil).want(t, http.StatusOK, &rs)
		if len(rs) != 4 {
			t.Errorf("rules %+v", rs)
		}
		var rule domain.Rule
		f.do("GET", "/api/v1/circulation-rules/effective?category_id=ADULT&item_type_id=REF", nil).want(t, http.StatusOK, &rule)
		if rule.LoanDays != 0 || rule.ItemType != "REF" {
			t.Errorf("effective ADULT/REF %+v", rule)
		}
		f.do("PUT", "/api/v1/circulation-rules", domain.Rule{BranchID: "MAIN", Category: "ADULT", ItemType: "BOOK", LoanDays: 28,
			Renewals: 3, MaxLoans: 20, FineCents: 20, MaxFineCents: 400, HoldsAllowed: true}).want(t, http.StatusOK, nil)
		f.do("GET", "/api/v1/circulation-rules/effective?library_id=MAIN&category_id=ADULT&item_type_id=BOOK", nil).want(t, http.StatusOK, &rule)
		if rule.LoanDays != 28 || rule.BranchID != "MAIN" {
			t.Errorf("effective after PUT %+v", rule)
		}
		l := f.checkout(f.patrons["Alice"].Cardnumber, "B0001")
		if l.DueDate != "2025-03-31" {
			t.Errorf("due %s under the 28-day rule", l.DueDate)
		}
		r := f.do("DELETE", "/api/v1/circulation-rules?library_id=MAIN&category_id=ADULT&item_type_id=BOOK", nil)
		r.want(t, http.StatusNoContent, nil)
		f.do("GET", "/api/v1/circulation-rules/effective?library_id=MAIN&category_id=ADULT&item_type_id=BOOK", nil).want(t, http.StatusOK, &rule)
		if rule.LoanDays != 21 {
			t.Errorf("effective after DELETE %+v", rule)
		}
		f.do("GET", "/api/v1/circulation-rules/effective?category_id=ADULT", nil).wantProblem(t, http.StatusBadRequest, "invalid")
	})
	t.Run("Calendar", func(t *testing.T) {
		var cal domain.Calendar
		f.do("GET", "/api/v1/calendar", nil).want(t, http.StatusOK, &cal)
		if cal.BranchID != "MAIN" || len(cal.Days) != 31 || cal.Days[0].Date != "2025-03-03" || !cal.Days[0].Open || cal.Hours == nil {
			t.Errorf("default calendar: %s, %d days from %+v", cal.BranchID, len(cal.Days), cal.Days[0])
		}
		for wd := 0; wd < 7; wd++ {
			h := map[string]any{"weekday": wd, "opens": "09:00", "closes": "17:00"}
			if wd == 0 {
				h = map[string]any{"weekday": wd, "opens": "", "closes": ""}
			}
			f.do("PUT", "/api/v1/calendar/hours", h).want(t, http.StatusOK, nil)
		}
		var d domain.ClosedDay
		f.do("PUT", "/api/v1/calendar/closed", map[string]any{"date": "2025-03-10", "closed": true, "reason": "Staff training"}).
			want(t, http.StatusOK, &d)
		if d.BranchID != "MAIN" {
			t.Errorf("closed day %+v", d)
		}
		f.do("GET", "/api/v1/calendar?from=2025-03-08&to=2025-03-10", nil).want(t, http.StatusOK, &cal)
		if len(cal.Days) != 3 || !cal.Days[0].Open || cal.Days[0].Opens != "09:00" || cal.Days[1].Open || cal.Days[2].Open ||
			cal.Days[2].Reason != "Staff training" || len(cal.Hours) != 7 {
			t.Errorf("calendar %+v", cal)
		}
		// A 7-day DVD loan from Monday 3rd would fall due on the closed 10th.
		l := f.checkout(f.patrons["Bob"].Cardnumber, "V0001")
		if l.DueDate != "2025-03-11" {
			t.Errorf("due %s, want the next open day", l.DueDate)
		}
		f.do("GET", "/api/v1/calendar?library_id=EAST&from=2025-01-01&to=2024-01-01", nil).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("GET", "/api/v1/calendar?library_id=NOPE", nil).wantProblem(t, http.StatusNotFound, "library_not_found")
		f.do("GET", "/api/v1/calendar?from=99999-01-01", nil).wantProblem(t, http.StatusBadRequest, "invalid")
	})
	t.Run("Staff", func(t *testing.T) {
		var st domain.Staff
		r := f.do("PUT", "/api/v1/staff/sam", map[string]any{"display_name": "Sam", "role": "supervisor", "password": "s3cret", "library_id": "EAST"})
		r.want(t, http.StatusOK, &st)
		if st.Username != "sam" || st.Role != "supervisor" || !st.Active {
			t.Errorf("staff %+v", st)
		}
		noSecrets(t, r.body)
		var all []domain.Staff
		r = f.do("GET", "/api/v1/staff", nil)
		r.want(t, http.StatusOK, &all)
		if len(all) != 6 {
			t.Errorf("staff %s", r.body)
		}
		noSecrets(t, r.body)
		f.do("GET", "/api/v1/libraries", nil, basicAuth("sam", "s3cret")).want(t, http.StatusOK, nil)
		f.do("PUT", "/api/v1/staff/sam", map[string]any{"username": "max", "role": "admin", "password": "s3cret"}).
			wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("PUT", "/api/v1/staff/a%20b", map[string]any{"role": "admin", "password": "s3cret"}).
			wantProblem(t, http.StatusBadRequest, "bad_barcode")
	})
}
