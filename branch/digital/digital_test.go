package digital_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/digital"
	"stacks/branch/domain"
)

func mustNoErr(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// env is a standalone appliance (it decides digital requests itself) with
// a library, a category, the e-book rule (14 days, 1 renewal, 3 loans)
// and patrons.
type env struct {
	*branchtest.Env
	dig     *digital.Service
	ctx     context.Context
	patrons []*domain.Patron
}

func open(tb testing.TB, patrons int) *env {
	tb.Helper()
	e := branchtest.Open(tb, branchtest.Options{})
	ctx := branchtest.Admin(context.Background())
	mustNoErr(tb, e.Service.SetLibrary(ctx, domain.Library{BranchID: "MAIN", Name: "Main library", HoldShelfDays: 7}))
	mustNoErr(tb, e.Service.SetCategory(ctx, domain.Category{Category: "ADULT", Description: "Adult", MaxFineCents: 1000, EnrolmentMonths: 12, MaxHolds: 10}))
	mustNoErr(tb, e.Service.SetRule(ctx, domain.Rule{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 21, Renewals: 3, MaxLoans: 40, HoldsAllowed: true}))
	mustNoErr(tb, e.Service.SetRule(ctx, domain.Rule{BranchID: "*", Category: "*", ItemType: "EBOOK", LoanDays: 14, Renewals: 1, MaxLoans: 3, HoldsAllowed: true}))
	out := &env{Env: e, dig: digital.NewService(e.Service, nil, nil), ctx: ctx}
	for i := range patrons {
		p, err := e.Service.RegisterPatron(ctx, domain.NewPatron{Cardnumber: fmt.Sprintf("2100%04d", i), Firstname: "P", Surname: fmt.Sprint(i),
			HomeBranch: "MAIN", Category: "ADULT", PIN: "1234"})
		mustNoErr(tb, err)
		out.patrons = append(out.patrons, p)
	}
	return out
}

func (e *env) ebook(tb testing.TB, base int) *domain.Biblio {
	tb.Helper()
	b, err := e.Service.AddBiblio(e.ctx, domain.NewBiblio{Title: "E-book " + fmt.Sprint(base), Format: "ebook", Licences: base})
	mustNoErr(tb, err)
	return b
}

func (e *env) borrow(p *domain.Patron, b *domain.Biblio) (*domain.DigitalResult, error) {
	return e.dig.Borrow(e.ctx, domain.DigitalRequest{PatronID: p.PatronID, BiblioID: b.BiblioID}, "en")
}

func wantCode(tb testing.TB, err error, code domain.Code) {
	tb.Helper()
	if domain.ErrorCode(err) != code {
		tb.Fatalf("got %v (%s), want %s", err, domain.ErrorCode(err), code)
	}
}

func (e *env) overCapacity(tb testing.TB) {
	tb.Helper()
	bad, err := digital.ActiveOverCapacity(context.Background(), e.DB.Read())
	mustNoErr(tb, err)
	if len(bad) > 0 {
		tb.Fatalf("more running loans than licences: %v", bad)
	}
}

func TestStandaloneGrantsAndRefuses(t *testing.T) {
	e := open(t, 3)
	b := e.ebook(t, 2)
	for _, p := range e.patrons[:2] {
		res, err := e.borrow(p, b)
		mustNoErr(t, err)
		if res.Loan.DueDate != "2026-12-07" || res.Loan.LicenceID != digital.BaseLicenceID(b.BiblioID) {
			t.Fatalf("loan %+v", res.Loan)
		}
	}
	_, err := e.borrow(e.patrons[2], b)
	wantCode(t, err, domain.CodeNoLicenceFree)
	_, err = e.borrow(e.patrons[0], b)
	wantCode(t, err, domain.CodeDigitalLoanExists)
	total, free, err := e.dig.Counts(e.ctx, b.BiblioID)
	mustNoErr(t, err)
	if total != 2 || free != 0 {
		t.Fatalf("counts %d of %d free, want 0 of 2", free, total)
	}
	// The catalogue's availability (the desk's "N of M licences free").
	av, err := e.Service.Availability(e.ctx, b.BiblioID)
	mustNoErr(t, err)
	if av.LicencesTotal != 2 || av.LicencesFree != 0 {
		t.Fatalf("availability says %d of %d licences free, want 0 of 2", av.LicencesFree, av.LicencesTotal)
	}
	// A physical title is not lent by licence.
	book, err := e.Service.AddBiblio(e.ctx, domain.NewBiblio{Title: "Paper", Format: "book"})
	mustNoErr(t, err)
	_, err = e.borrow(e.patrons[2], book)
	wantCode(t, err, domain.CodeNotDigital)
	// The loan shows among the patron's loans, marked digital.
	ls, err := e.dig.PatronLoans(e.ctx, e.patrons[0].PatronID, false)
	mustNoErr(t, err)
	if len(ls) != 1 || !ls[0].AsLoan().Digital || ls[0].Title != b.Title {
		t.Fatalf("patron loans %+v", ls)
	}
	e.overCapacity(t)
}

func TestFinnishRefusal(t *testing.T) {
	e := open(t, 2)
	b := e.ebook(t, 1)
	_, err := e.borrow(e.patrons[0], b)
	mustNoErr(t, err)
	_, err = e.dig.Borrow(e.ctx, domain.DigitalRequest{PatronID: e.patrons[1].PatronID, BiblioID: b.BiblioID}, "fi")
	want := digital.Text("fi", "no_licence_free", 1, b.Title)
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestTextsInBothLanguages(t *testing.T) {
	for _, k := range digital.TextKeys() {
		en, fi := digital.Text("en", k), digital.Text("fi", k)
		if en == "" || fi == "" || en == fi {
			t.Errorf("text %s: en %q, fi %q", k, en, fi)
		}
	}
	if digital.Lang("fi-FI,en;q=0.5") != "fi" || digital.Lang("en-GB,fi;q=0.3") != "en" || digital.Lang("") != "en" {
		t.Fatal("Lang picks the wrong language")
	}
}

func TestExpiryByLoans(t *testing.T) {
	e := open(t, 3)
	b := e.ebook(t, 0)
	res, err := e.dig.AddLicence(e.ctx, domain.NewLicence{BiblioID: b.BiblioID, Copies: 1, MaxLoans: 2, Note: "metered: 2 circulations"})
	mustNoErr(t, err)
	lic := res.Licence
	for i := range 2 {
		r, err := e.borrow(e.patrons[i], b)
		mustNoErr(t, err)
		if r.Loan.LicenceID != lic.LicenceID {
			t.Fatalf("loan under %s, want %s", r.Loan.LicenceID, lic.LicenceID)
		}
		_, err = e.dig.Return(e.ctx, domain.DigitalRequest{LoanID: r.Loan.LoanID}, "en")
		mustNoErr(t, err)
	}
	// Two loans used the licence up, though no copy is out.
	_, err = e.borrow(e.patrons[2], b)
	wantCode(t, err, domain.CodeNoLicenceFree)
	ls, err := e.dig.Licences(e.ctx, b.BiblioID)
	mustNoErr(t, err)
	if len(ls) != 1 || ls[0].Usable || ls[0].LoansUsed != 2 {
		t.Fatalf("licences %+v", ls)
	}
}

func TestExpiryByDate(t *testing.T) {
	e := open(t, 2)
	b := e.ebook(t, 0)
	_, err := e.dig.AddLicence(e.ctx, domain.NewLicence{BiblioID: b.BiblioID, Copies: 1, ExpiresOn: "2026-11-30"})
	mustNoErr(t, err)
	r, err := e.borrow(e.patrons[0], b)
	mustNoErr(t, err)
	if r.Loan.DueDate != "2026-11-30" {
		t.Fatalf("a loan runs past its licence: due %s", r.Loan.DueDate)
	}
	_, err = e.dig.Renew(e.ctx, domain.DigitalRequest{LoanID: r.Loan.LoanID}, "en")
	wantCode(t, err, domain.CodeRenewalBlocked)
	// After the licence's last day the loan ends and nothing more is lent.
	e.Clock.Advance(8 * 24 * time.Hour)
	sw, err := e.dig.Sweep(e.ctx)
	mustNoErr(t, err)
	if len(sw.Returned) != 1 {
		t.Fatalf("sweep returned %d loans, want 1", len(sw.Returned))
	}
	_, err = e.borrow(e.patrons[1], b)
	wantCode(t, err, domain.CodeNoLicenceFree)
}

func TestAutoReturnAndHoldQueue(t *testing.T) {
	e := open(t, 3)
	b := e.ebook(t, 1)
	first, err := e.borrow(e.patrons[0], b)
	mustNoErr(t, err)
	h1, err := e.dig.PlaceHold(e.ctx, domain.DigitalRequest{PatronID: e.patrons[1].PatronID, BiblioID: b.BiblioID}, "en")
	mustNoErr(t, err)
	h2, err := e.dig.PlaceHold(e.ctx, domain.DigitalRequest{PatronID: e.patrons[2].PatronID, BiblioID: b.BiblioID}, "en")
	mustNoErr(t, err)
	if h1.Hold.Position != 1 || h2.Hold.Position != 2 || h1.Loan != nil {
		t.Fatalf("holds %+v %+v", h1.Hold, h2.Hold)
	}
	// Renewal is refused while patrons wait.
	_, err = e.dig.Renew(e.ctx, domain.DigitalRequest{LoanID: first.Loan.LoanID}, "en")
	wantCode(t, err, domain.CodeRenewalBlocked)
	// Nobody jumps the queue.
	_, err = e.dig.PlaceHold(e.ctx, domain.DigitalRequest{PatronID: e.patrons[1].PatronID, BiblioID: b.BiblioID}, "en")
	wantCode(t, err, domain.CodeDuplicateHold)
	// The sweep before the due day ends nothing.
	sw, err := e.dig.Sweep(e.ctx)
	mustNoErr(t, err)
	if len(sw.Returned) != 0 {
		t.Fatal("a loan ended before its due day")
	}
	// The day after the due day the loan ends by itself and the first in
	// the queue is lent the title.
	e.Clock.Advance(15 * 24 * time.Hour)
	sw, err = e.dig.Sweep(e.ctx)
	mustNoErr(t, err)
	if len(sw.Returned) != 1 || sw.Returned[0].LoanID != first.Loan.LoanID || len(sw.Filled) != 1 || sw.Filled[0].PatronID != e.patrons[1].PatronID {
		t.Fatalf("sweep %+v", sw)
	}
	got, err := e.dig.Loan(e.ctx, first.Loan.LoanID)
	mustNoErr(t, err)
	if got.ReturnReason != digital.ReasonExpired {
		t.Fatalf("loan ended as %q", got.ReturnReason)
	}
	hold, err := e.dig.Hold(e.ctx, h1.Hold.HoldID)
	mustNoErr(t, err)
	if hold.Status != domain.DigitalHoldFilled || hold.LoanID != sw.Filled[0].LoanID {
		t.Fatalf("hold %+v", hold)
	}
	// Returning early passes the title to the next.
	ret, err := e.dig.Return(e.ctx, domain.DigitalRequest{PatronID: e.patrons[1].PatronID, BiblioID: b.BiblioID}, "en")
	mustNoErr(t, err)
	if len(ret.Filled) != 1 || ret.Filled[0].PatronID != e.patrons[2].PatronID {
		t.Fatalf("return %+v", ret)
	}
	e.overCapacity(t)
}

func TestRenew(t *testing.T) {
	e := open(t, 1)
	b := e.ebook(t, 1)
	r, err := e.borrow(e.patrons[0], b)
	mustNoErr(t, err)
	rr, err := e.dig.Renew(e.ctx, domain.DigitalRequest{LoanID: r.Loan.LoanID}, "en")
	mustNoErr(t, err)
	if rr.Loan.DueDate != "2026-12-21" || rr.Loan.Renewals != 1 {
		t.Fatalf("renewed %+v", rr.Loan)
	}
	_, err = e.dig.Renew(e.ctx, domain.DigitalRequest{LoanID: r.Loan.LoanID}, "en")
	wantCode(t, err, domain.CodeRenewalsExhausted)
}

func TestLicenceAddedFillsQueue(t *testing.T) {
	e := open(t, 3)
	b := e.ebook(t, 1)
	_, err := e.borrow(e.patrons[0], b)
	mustNoErr(t, err)
	for _, p := range e.patrons[1:] {
		_, err := e.dig.PlaceHold(e.ctx, domain.DigitalRequest{PatronID: p.PatronID, BiblioID: b.BiblioID}, "en")
		mustNoErr(t, err)
	}
	res, err := e.dig.AddLicence(e.ctx, domain.NewLicence{BiblioID: b.BiblioID, Copies: 1, Users: 2})
	mustNoErr(t, err)
	if len(res.Filled) != 2 || res.Licence.Active != 2 {
		t.Fatalf("licence added %+v", res)
	}
	_, err = e.dig.AddLicence(e.ctx, domain.NewLicence{BiblioID: b.BiblioID, Copies: 0})
	wantCode(t, err, domain.CodeInvalid)
	e.overCapacity(t)
}

// Many patrons race for the last places of one standalone appliance.
func TestStandaloneRace(t *testing.T) {
	e := open(t, 40)
	b := e.ebook(t, 3)
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for _, p := range e.patrons {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.borrow(p, b)
			var de *domain.Error
			switch {
			case err == nil:
				mu.Lock()
				granted++
				mu.Unlock()
			case errors.As(err, &de) && de.Code == domain.CodeNoLicenceFree:
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if granted != 3 {
		t.Fatalf("%d loans granted on 3 licences", granted)
	}
	e.overCapacity(t)
}
