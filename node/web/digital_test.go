package web_test

import (
	"net/http"
	"regexp"
	"testing"

	"stacks/branch/domain"
)

var eloanForm = regexp.MustCompile(`action="/account/digital/([^/"]+)/return"`)

// A patron borrows an e-book from its title page, sees it in the account,
// renews and returns it early; when every licence is in use the title page
// offers the queue, and the e-hold is in the account until cancelled.
// Another patron's e-loan cannot be returned.
func TestDigitalLoansAndHolds(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	p := b.get("/titles/" + l.ebook.BiblioID)
	wantIn(t, p, "Log in to borrow this online")
	b.login(annCard, annPIN)
	p = b.get("/titles/" + l.ebook.BiblioID)
	wantIn(t, p, "E-loan: 2 of 2 licences free now.", `action="/titles/`+l.ebook.BiblioID+`/borrow"`)
	wantNotIn(t, p, `name="pickup"`) // no pickup branch for an e-book
	p = b.post("/titles/"+l.ebook.BiblioID+"/borrow", nil)
	wantStatus(t, p, http.StatusOK)
	wantIn(t, p, "“Winter Stories” is yours to read until", "You have this on loan until")

	p = b.get("/account")
	wantIn(t, p, "E-loans (1)", "Winter Stories", "E-holds (0)")
	m := eloanForm.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no return button:\n%s", p.body)
	}
	loanID := m[1]
	p = b.post("/account/digital/"+loanID+"/renew", nil)
	wantIn(t, p, "“Winter Stories” renewed: now due")

	// Bob may not return Ann's e-loan.
	bob := l.browser()
	bob.login(bobCard, bobPIN)
	p = bob.post("/account/digital/"+loanID+"/return", nil)
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantIn(t, p, "That loan could not be found.")
	if dl, err := l.dig.Loan(l.ctx, loanID); err != nil || dl.ReturnedAt != "" {
		t.Fatalf("Bob returned Ann's e-loan: %+v %v", dl, err)
	}

	p = b.post("/account/digital/"+loanID+"/return", nil)
	wantIn(t, p, "“Winter Stories” is returned.", "E-loans (0)")

	// One licence, lent to Bob: Ann joins the queue.
	one := l.title(domain.NewBiblio{Title: "Single Licence", Format: "ebook", Licences: 1})
	p = bob.get("/titles/" + one.BiblioID)
	bob.post("/titles/"+one.BiblioID+"/borrow", nil)
	p = b.get("/titles/" + one.BiblioID)
	wantIn(t, p, "all 1 licences are in use", `action="/titles/`+one.BiblioID+`/digital-hold"`, "Join the queue")
	p = b.post("/titles/"+one.BiblioID+"/digital-hold", nil)
	wantIn(t, p, "You are in the queue: number 1.", "You are number 1 in the queue for this.")
	p = b.get("/account")
	wantIn(t, p, "E-holds (1)", "Single Licence", "number 1 in the queue")
	hs, err := l.dig.PatronHolds(l.ctx, l.ann.PatronID)
	must(t, err)
	if len(hs) != 1 {
		t.Fatalf("%d e-holds", len(hs))
	}
	p = b.post("/account/digital-holds/"+hs[0].HoldID+"/cancel", nil)
	wantIn(t, p, "Your hold on “Single Licence” is cancelled.", "E-holds (0)")

	// In Finnish.
	b.lang = "fi"
	p = b.get("/account")
	wantIn(t, p, "E-lainat (0)", "E-varaukset (0)")
}

// The account's fees read in Finnish: types translated, a desk note kept.
func TestFeesInFinnish(t *testing.T) {
	l := newLib(t)
	_, err := l.svc.Charge(l.ctx, l.ann.PatronID, domain.ChargeRequest{AmountCents: 300, Kind: "manual", Description: "damage"})
	must(t, err)
	_, err = l.svc.Charge(l.ctx, l.ann.PatronID, domain.ChargeRequest{AmountCents: 200, Kind: "manual", Description: "Torn cover"})
	must(t, err)
	_, err = l.svc.Pay(l.ctx, l.ann.PatronID, domain.PaymentRequest{AmountCents: 100, Method: "cash"})
	must(t, err)
	b := l.browser()
	b.lang = "fi"
	b.login(annCard, annPIN)
	p := b.get("/account")
	wantIn(t, p, "Maksu: Vahingoittunut aineisto", "Maksu: Torn cover", "Maksu suoritettu")
	wantNotIn(t, p, ": damage", "Payment")
}
