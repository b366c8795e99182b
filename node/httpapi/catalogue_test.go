package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"stacks/branch/domain"
)

func TestCatalogue(t *testing.T) {
	f := newFixture(t)
	var b domain.Biblio
	t.Run("AddBiblio", func(t *testing.T) {
		r := f.do("POST", "/api/v1/biblios", map[string]any{"title": "Middlemarch", "authors": []string{"Eliot, George"},
			"isbn": "9780141439549", "year": 1871})
		r.want(t, http.StatusCreated, &b)
		if b.BiblioID == "" || b.Title != "Middlemarch" || b.Format != "book" || r.header.Get("Location") != "/api/v1/biblios/"+b.BiblioID {
			t.Errorf("new biblio %+v, Location %q", b, r.header.Get("Location"))
		}
		f.do("POST", "/api/v1/biblios", map[string]any{"title": " "}).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("POST", "/api/v1/biblios", map[string]any{"title": "X", "format": "scroll"}).wantProblem(t, http.StatusBadRequest, "invalid")
	})
	t.Run("GetPut", func(t *testing.T) {
		var got domain.Biblio
		f.do("GET", "/api/v1/biblios/"+b.BiblioID, nil).want(t, http.StatusOK, &got)
		if got.Title != "Middlemarch" || len(got.Authors) != 1 {
			t.Errorf("got %+v", got)
		}
		got = domain.Biblio{}
		f.do("PUT", "/api/v1/biblios/"+b.BiblioID, map[string]any{"title": "Middlemarch", "subtitle": "A Study of Provincial Life",
			"authors": []string{"Eliot, George"}, "year": 1871}).want(t, http.StatusOK, &got)
		if got.Subtitle != "A Study of Provincial Life" || got.ISBN != "" {
			t.Errorf("put %+v", got)
		}
		f.do("PUT", "/api/v1/biblios/nothing", map[string]any{"title": "X"}).wantProblem(t, http.StatusNotFound, "biblio_not_found")
	})
	t.Run("Search", func(t *testing.T) {
		var got domain.SearchResult
		f.do("GET", "/api/v1/biblios?q=hobbit+tolkien", nil).want(t, http.StatusOK, &got)
		if got.Total != 1 || got.Works[0].Title != "The Hobbit" || got.Facets["format"][0].Count != 1 {
			t.Errorf("search: %+v", got)
		}
		got = domain.SearchResult{}
		f.do("GET", "/api/v1/biblios?isbn=9780261102217", nil).want(t, http.StatusOK, &got)
		if got.Total != 1 || got.Works[0].Title != "The Hobbit" {
			t.Errorf("isbn: %+v", got)
		}
		got = domain.SearchResult{}
		f.do("GET", "/api/v1/biblios?_per_page=2&_page=3&sort=title", nil).want(t, http.StatusOK, &got)
		if len(got.Works) != 1 || got.Works[0].Title != "World Atlas" {
			t.Errorf("page 3: %+v", got)
		}
		got = domain.SearchResult{}
		f.do("GET", "/api/v1/biblios?format=map", nil).want(t, http.StatusOK, &got)
		if got.Total != 1 || got.Works[0].Title != "World Atlas" {
			t.Errorf("format=map: %+v", got)
		}
		// An author's name holds a comma: it is one value, not two.
		got = domain.SearchResult{}
		f.do("GET", "/api/v1/biblios?author="+url.QueryEscape("Eliot, George"), nil).want(t, http.StatusOK, &got)
		if got.Total != 1 || got.Works[0].Title != "Middlemarch" {
			t.Errorf("author=Eliot, George: %+v", got)
		}
		// Formats may still come comma-separated.
		got = domain.SearchResult{}
		f.do("GET", "/api/v1/biblios?format=map,game", nil).want(t, http.StatusOK, &got)
		if got.Total != 1 || got.Works[0].Title != "World Atlas" {
			t.Errorf("format=map,game: %+v", got)
		}
		f.do("GET", "/api/v1/biblios?sort=random", nil).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("GET", "/api/v1/biblios?decade=199x", nil).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("POST", "/api/v1/biblios", map[string]any{"title": "Kids", "audience": "elders"}).wantProblem(t, http.StatusBadRequest, "invalid")
	})
	var it domain.Item
	t.Run("AddItem", func(t *testing.T) {
		r := f.do("POST", "/api/v1/items", map[string]any{"barcode": "M0001", "biblio_id": b.BiblioID, "item_type_id": "BOOK",
			"callnumber": "823 ELI", "price_cents": 1299})
		r.want(t, http.StatusCreated, &it)
		if it.ItemID == "" || it.Status != "available" || it.HomeBranch != "MAIN" || it.Title != "Middlemarch" {
			t.Errorf("new item %+v", it)
		}
		f.do("POST", "/api/v1/items", map[string]any{"barcode": "M0001", "biblio_id": b.BiblioID, "item_type_id": "BOOK"}).
			wantProblem(t, http.StatusConflict, "duplicate_barcode")
		f.do("POST", "/api/v1/items", map[string]any{"barcode": "M 2", "biblio_id": b.BiblioID, "item_type_id": "BOOK"}).
			wantProblem(t, http.StatusBadRequest, "bad_barcode")
		f.do("POST", "/api/v1/items", map[string]any{"barcode": "M0002", "biblio_id": b.BiblioID, "item_type_id": "SCROLL"}).
			wantProblem(t, http.StatusNotFound, "item_type_not_found")
	})
	t.Run("GetPatchItem", func(t *testing.T) {
		var got domain.Item
		f.do("GET", "/api/v1/items/"+it.ItemID, nil).want(t, http.StatusOK, &got)
		if got != it {
			t.Errorf("got %+v, want %+v", got, it)
		}
		f.do("PATCH", "/api/v1/items/"+it.ItemID, map[string]any{"base_status": "damaged", "callnumber": "823.8 ELI"}).
			want(t, http.StatusOK, &got)
		if got.Status != "damaged" || got.CallNumber != "823.8 ELI" {
			t.Errorf("patched %+v", got)
		}
		f.do("PATCH", "/api/v1/items/"+it.ItemID, map[string]any{"base_status": "lost"}).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("PATCH", "/api/v1/items/"+it.ItemID, map[string]any{"price_cents": "free"}).wantProblem(t, http.StatusBadRequest, "bad_json")
	})
	t.Run("ListItems", func(t *testing.T) {
		var got []domain.Item
		f.do("GET", "/api/v1/items?barcode=B0002", nil).want(t, http.StatusOK, &got)
		if len(got) != 1 || got[0].Barcode != "B0002" {
			t.Errorf("by barcode: %+v", got)
		}
		f.do("GET", "/api/v1/items?status=damaged", nil).want(t, http.StatusOK, &got)
		if len(got) != 1 || got[0].ItemID != it.ItemID {
			t.Errorf("damaged: %+v", got)
		}
		f.do("GET", "/api/v1/items?library_id=MAIN&_per_page=2&_page=2", nil).want(t, http.StatusOK, &got)
		if len(got) != 2 || got[0].Barcode != "D0001" {
			t.Errorf("page 2: %+v", got)
		}
		f.do("GET", "/api/v1/items?item_type_id=BOOK&status=available", nil).want(t, http.StatusOK, &got)
		if len(got) != 3 {
			t.Errorf("available books: %+v", got)
		}
		f.do("GET", "/api/v1/items?item_type_id=BOOK&_per_page=2&_page=2", nil).want(t, http.StatusOK, &got)
		if len(got) != 2 || got[0].Barcode != "D0001" || got[1].Barcode != "M0001" {
			t.Errorf("page 2 of books: %+v", got)
		}
		f.do("GET", "/api/v1/items?item_type_id=DVD", nil).want(t, http.StatusOK, &got)
		if len(got) != 1 || got[0].Barcode != "V0001" {
			t.Errorf("DVDs: %+v", got)
		}
		f.do("GET", "/api/v1/items?colour=red", nil).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("GET", "/api/v1/items?_per_page=0", nil).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("GET", "/api/v1/items?_page=x", nil).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("GET", "/api/v1/biblios/"+f.biblios["The Hobbit"].BiblioID+"/items", nil).want(t, http.StatusOK, &got)
		if len(got) != 2 {
			t.Errorf("biblio items: %+v", got)
		}
	})
	t.Run("Availability", func(t *testing.T) {
		var av domain.Availability
		f.do("GET", "/api/v1/biblios/"+f.biblios["The Hobbit"].BiblioID+"/availability", nil).want(t, http.StatusOK, &av)
		if av.Total != 2 || av.Available != 2 || av.ByBranch["MAIN"].Available != 2 {
			t.Errorf("availability %+v", av)
		}
	})
	t.Run("Lost", func(t *testing.T) {
		alice := f.patrons["Alice"]
		f.checkout(alice.Cardnumber, "D0001")
		var got domain.Item
		f.do("POST", "/api/v1/items/"+f.items["D0001"].ItemID+"/lost", nil).want(t, http.StatusOK, &got)
		if got.Status != "lost" {
			t.Errorf("lost item %+v", got)
		}
		var acct domain.Account
		f.do("GET", "/api/v1/patrons/"+alice.PatronID+"/account", nil).want(t, http.StatusOK, &acct)
		if acct.BalanceCents != 1800+300 {
			t.Errorf("balance after a lost item: %d, want price plus processing", acct.BalanceCents)
		}
		f.do("POST", "/api/v1/items/"+f.items["D0001"].ItemID+"/lost", nil).wantProblem(t, http.StatusForbidden, "item_not_available")
	})
}

// TestItemProperties: desk staff and kiosks record what a copy is made of
// on its own route, without the right to edit the rest of the item; the
// item's JSON shows it; bad values are refused in plain words.
func TestItemProperties(t *testing.T) {
	f := newFixture(t)
	id := f.items["B0002"].ItemID
	path := "/api/v1/items/" + id + "/properties"
	var it struct {
		Properties string `json:"properties"`
	}
	f.do("PUT", path, map[string]any{"properties": "DVD 2 discs, booklet"}, asClerk).want(t, http.StatusOK, &it)
	if it.Properties != "DVD 2 discs, booklet" {
		t.Fatalf("properties %q after PUT", it.Properties)
	}
	f.do("GET", "/api/v1/items/"+id, nil, asAnon).want(t, http.StatusOK, &it)
	if it.Properties != "DVD 2 discs, booklet" {
		t.Fatalf("GET shows properties %q", it.Properties)
	}
	f.do("PUT", path, map[string]any{"properties": "security case"}, asKiosk).want(t, http.StatusOK, &it)
	// A checkout of the copy says what it is made of, for the desk to check.
	var lent struct {
		CheckoutID     string `json:"checkout_id"`
		ItemProperties string `json:"item_properties"`
	}
	f.do("POST", "/api/v1/checkouts", map[string]any{"cardnumber": card(f.patrons["Alice"]), "barcode": "B0002"}, asClerk).
		want(t, http.StatusCreated, &lent)
	if lent.ItemProperties != "security case" {
		t.Fatalf("checkout says item_properties %q", lent.ItemProperties)
	}
	// The clerk may not edit the item itself, properties or not.
	f.do("PATCH", "/api/v1/items/"+id, map[string]any{"properties": "x"}, asClerk).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("PUT", path, map[string]any{"properties": strings.Repeat("x", 256)}, asClerk).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("PUT", path, map[string]any{}, asClerk).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("PUT", "/api/v1/items/no-such-item/properties", map[string]any{"properties": "x"}, asClerk).wantProblem(t, http.StatusNotFound, "item_not_found")
	f.do("GET", "/api/v1/items/"+id, nil, asAnon).want(t, http.StatusOK, &it)
	if it.Properties != "security case" {
		t.Fatalf("refused requests changed the properties to %q", it.Properties)
	}
	// An empty string clears them (and the JSON then leaves them out).
	it.Properties = ""
	f.do("PUT", path, map[string]any{"properties": ""}, asClerk).want(t, http.StatusOK, &it)
	f.do("GET", "/api/v1/items/"+id, nil, asAnon).want(t, http.StatusOK, &it)
	if it.Properties != "" {
		t.Fatalf("properties %q after clearing", it.Properties)
	}
}
