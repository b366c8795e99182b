package recommend_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/patronprefs"
	"stacks/branch/recommend"
	"stacks/replicate"
)

type env struct {
	*branchtest.Env
	ctx     context.Context
	rec     *recommend.Service
	titles  map[string]string // name -> biblio ID
	patrons []*domain.Patron
	copies  map[string]int // title name -> next copy to lend
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// open makes a library of titles (each with 20 copies) and patrons.
func open(t *testing.T, node replicate.NodeID, titles []string, patrons int) *env {
	t.Helper()
	return openWith(t, branchtest.Options{Node: node}, titles, patrons)
}

// openWith is open with the environment's options.
func openWith(t *testing.T, o branchtest.Options, titles []string, patrons int) *env {
	t.Helper()
	e := &env{Env: branchtest.Open(t, o), ctx: branchtest.Admin(context.Background()),
		titles: map[string]string{}, copies: map[string]int{}}
	e.rec = recommend.New(e.Service)
	branchtest.SeedPolicy(t, e.ctx, e.Service)
	for _, name := range titles {
		b, err := e.Service.AddBiblio(e.ctx, domain.NewBiblio{Title: name, Authors: []string{"Author " + name}})
		must(t, err)
		e.titles[name] = b.BiblioID
		for c := range 20 {
			_, err := e.Service.AddItem(e.ctx, domain.NewItem{Barcode: fmt.Sprintf("%s-%02d", name, c), BiblioID: b.BiblioID, ItemType: "BOOK"})
			must(t, err)
		}
	}
	for i := range patrons {
		p, err := e.Service.RegisterPatron(e.ctx, domain.NewPatron{Cardnumber: fmt.Sprintf("2100000000%04d", i), Firstname: "Reader",
			Surname: fmt.Sprintf("Number%d", i), Category: "ADULT", PIN: "1234"})
		must(t, err)
		e.patrons = append(e.patrons, p)
	}
	must(t, recommend.Open(e.ctx, e.Service, nil))
	return e
}

// borrow lends patron i a copy of each title, then returns them if back.
func (e *env) borrow(t *testing.T, i int, back bool, names ...string) {
	t.Helper()
	var codes []string
	for _, n := range names {
		code := fmt.Sprintf("%s-%02d", n, e.copies[n])
		e.copies[n]++
		_, err := e.Service.Checkout(e.ctx, domain.CheckoutRequest{PatronID: e.patrons[i].PatronID, Barcode: code})
		must(t, err)
		codes = append(codes, code)
		e.Clock.Advance(time.Minute)
	}
	if back {
		for _, code := range codes {
			_, err := e.Service.Checkin(e.ctx, domain.CheckinRequest{Barcode: code})
			must(t, err)
			e.Clock.Advance(time.Minute)
		}
	}
}

func (e *env) also(t *testing.T, name string) map[string]int {
	t.Helper()
	r, err := e.rec.AlsoBorrowed(e.ctx, e.titles[name], 0)
	must(t, err)
	out := map[string]int{}
	for _, x := range r.Titles {
		out[x.Title] = x.Patrons
	}
	return out
}

// anonymise does to every returned loan what anonymisation at return
// does (the privacy capability): the loan no longer names its patron.
func (e *env) anonymise(t *testing.T) {
	t.Helper()
	must(t, e.Service.Update(replicate.Direct(e.ctx), func(tx *branch.Txn) error {
		_, err := tx.ExecContext(e.ctx, `UPDATE loans SET patron_id='' WHERE returned_at<>''`)
		return err
	}))
}

// TestSupportThreshold: a pair borrowed by 4 distinct patrons is not
// shown; by 5 it is, with 5; one patron borrowing the pair again and again
// (their loans still theirs) counts once.
func TestSupportThreshold(t *testing.T) {
	e := open(t, 1, []string{"Alpha", "Beta", "Gamma"}, 6)
	for i := range 4 {
		e.borrow(t, i, true, "Alpha", "Beta")
	}
	e.borrow(t, 0, true, "Beta", "Alpha")
	e.borrow(t, 0, true, "Alpha")
	if got := e.also(t, "Alpha"); len(got) != 0 {
		t.Fatalf("4 patrons: shown %v", got)
	}
	// The fifth borrows them on two visits, the second title first.
	e.borrow(t, 4, true, "Beta")
	e.borrow(t, 4, false, "Alpha")
	if got := e.also(t, "Alpha"); got["Beta"] != 5 || len(got) != 1 {
		t.Fatalf("5 patrons: %v, want Beta by 5", got)
	}
	if got := e.also(t, "Beta"); got["Alpha"] != 5 {
		t.Fatalf("the other way: %v", got)
	}
	if got := e.also(t, "Gamma"); len(got) != 0 {
		t.Fatalf("Gamma: %v", got)
	}
}

// TestNoPatronInModel: the model's tables hold no patron ID, card number
// or name, and neither do any of their cells as text.
func TestNoPatronInModel(t *testing.T) {
	e := open(t, 1, []string{"Alpha", "Beta", "Gamma"}, 6)
	for i := range 6 {
		e.borrow(t, i, i%2 == 0, "Alpha", "Beta", "Gamma")
	}
	var secrets []string
	for _, p := range e.patrons {
		secrets = append(secrets, p.PatronID, p.Cardnumber, p.Surname)
	}
	for _, table := range []string{"recommend_pairs", "recommend_titles", "recommend_counted", "recommend_meta"} {
		rows, err := e.Service.Read().QueryContext(e.ctx, `SELECT * FROM `+table)
		must(t, err)
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			must(t, rows.Scan(ptrs...))
			n++
			for _, v := range vals {
				s := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					s = string(b)
				}
				for _, sec := range secrets {
					if strings.Contains(s, sec) {
						t.Fatalf("%s holds %q", table, sec)
					}
				}
			}
		}
		rows.Close()
		if n == 0 && table != "recommend_meta" {
			t.Fatalf("%s is empty: the test proves nothing", table)
		}
	}
	// The columns are titles, counts and loans only.
	rows, err := e.Service.Read().QueryContext(e.ctx, `SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p
		WHERE m.type='table' AND m.name LIKE 'recommend_%'`)
	must(t, err)
	defer rows.Close()
	for rows.Next() {
		var tb, col string
		must(t, rows.Scan(&tb, &col))
		if strings.Contains(col, "patron_id") || strings.Contains(col, "card") {
			t.Fatalf("%s.%s", tb, col)
		}
	}
}

// TestOptIn: personal suggestions are refused until the patron turns
// them on; then they are the titles borrowed with theirs, none they
// borrowed, and popular titles to fill.
func TestOptIn(t *testing.T) {
	e := open(t, 1, []string{"Alpha", "Beta", "Gamma", "Delta"}, 7)
	for i := range 6 {
		e.borrow(t, i, true, "Alpha", "Beta", "Delta")
	}
	// Their history anonymised, Gamma is borrowed alone: popular, with
	// nothing.
	e.anonymise(t)
	for i := range 5 {
		e.borrow(t, i, true, "Gamma")
	}
	reader := e.patrons[6].PatronID
	e.borrow(t, 6, false, "Alpha")
	_, err := e.rec.ForPatron(e.ctx, reader, 10)
	if !errors.Is(err, recommend.ErrNotOptedIn) {
		t.Fatalf("before opting in: %v", err)
	}
	prefs := patronprefs.New(e.Service)
	must(t, prefs.SetSuggestions(e.ctx, reader, true))
	r, err := e.rec.ForPatron(e.ctx, reader, 10)
	must(t, err)
	var got []string
	for _, x := range r.Titles {
		got = append(got, x.Title+":"+x.Basis)
	}
	// Beta and Delta with Alpha (6 each, then by ID); Gamma by popularity.
	if len(got) != 3 || !strings.HasSuffix(got[0], ":also_borrowed") || !strings.HasSuffix(got[1], ":also_borrowed") || got[2] != "Gamma:popular" {
		t.Fatalf("suggestions %v", got)
	}
	for _, g := range got {
		if strings.HasPrefix(g, "Alpha") {
			t.Fatalf("suggested what they borrowed: %v", got)
		}
	}
	must(t, prefs.SetSuggestions(e.ctx, reader, false))
	if _, err := e.rec.ForPatron(e.ctx, reader, 10); !errors.Is(err, recommend.ErrNotOptedIn) {
		t.Fatalf("after opting out: %v", err)
	}
}

// TestSurvivesAnonymisation: once the loans that made a pair no longer
// name their patrons, the pair is still shown, later loans count on, and a
// second node fed the same ops counts the same.
func TestSurvivesAnonymisation(t *testing.T) {
	e := open(t, 1, []string{"Alpha", "Beta", "Gamma"}, 8)
	for i := range 5 {
		e.borrow(t, i, true, "Alpha", "Beta")
	}
	// A second node that saw these ops, with the history still named.
	f := &env{Env: branchtest.Open(t, branchtest.Options{Node: 2}), ctx: e.ctx}
	f.rec = recommend.New(f.Service)
	f.titles = e.titles
	branchtest.Exchange(t, e.Service, f.Service)
	e.anonymise(t)
	if got := e.also(t, "Alpha"); got["Beta"] != 5 {
		t.Fatalf("after anonymisation: %v", got)
	}
	e.borrow(t, 5, true, "Beta", "Alpha")
	if got := e.also(t, "Alpha"); got["Beta"] != 6 {
		t.Fatalf("a sixth after anonymisation: %v", got)
	}
	if got := f.also(t, "Alpha"); got["Beta"] != 5 {
		t.Fatalf("second node: %v", got)
	}
	// The anonymised loans count nothing on a node that gets them only now.
	e.anonymise(t)
	e.borrow(t, 6, false, "Gamma")
	if got := e.also(t, "Gamma"); len(got) != 0 {
		t.Fatalf("Gamma: %v", got)
	}
}
