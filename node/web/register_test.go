package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"stacks/branch/domain"
	"stacks/node/web"
)

// selfLib is the library offering self-registration.
func selfLib(t *testing.T, opts ...func(*web.Config)) *lib {
	t.Helper()
	l := newLib(t, opts...)
	must(t, l.svc.SetCategory(l.ctx, domain.Category{Category: domain.CategorySelfRegistered, MaxFineCents: 500, EnrolmentMonths: 3}))
	must(t, l.svc.SetRule(l.ctx, domain.Rule{BranchID: "*", Category: domain.CategorySelfRegistered, ItemType: "*", LoanDays: 14, MaxLoans: 2}))
	return l
}

func regForm(first, surname, dob, email string) url.Values {
	return url.Values{"firstname": {first}, "surname": {surname}, "date_of_birth": {dob}, "email": {email}, "phone": {""},
		"address": {"1 Main St"}, "pin": {"2468"}, "pin_again": {"2468"}, "lang": {"fi"}}
}

var cardNo = regexp.MustCompile(`class="cardno">(\d+)<`)

func TestSelfRegister(t *testing.T) {
	l := selfLib(t, func(c *web.Config) { c.RegisterBurst = 100 })
	b := l.browser()
	wantIn(t, b.get("/login"), `href="/register"`)
	wantIn(t, b.get("/register"), `name="date_of_birth"`)
	done := b.post("/register", regForm("Cora", "Case", "1988-04-01", "cora@example.org"))
	wantStatus(t, done, http.StatusOK)
	if done.url != "/register/done" {
		t.Fatalf("after registering: %s", done.url)
	}
	m := cardNo.FindStringSubmatch(done.body)
	if m == nil {
		t.Fatalf("no card number:\n%s", done.body)
	}
	wantIn(t, done, "Tervetuloa, Cora!") // the language chosen on the form
	p, err := l.svc.PatronByCard(l.ctx, m[1])
	must(t, err)
	if p.Category != domain.CategorySelfRegistered || p.Language != "fi" || p.DateOfBirth != "1988-04-01" {
		t.Fatalf("registered %+v", p)
	}
	ops := l.ops("patron.set")
	if last := ops[len(ops)-1]; last.Channel != string(domain.ChannelWeb) {
		t.Fatalf("registered on channel %s", last.Channel)
	}
	// The digital card works at once, and the card logs in.
	wantIn(t, b.get("/account/card"), m[1])
	again := l.browser()
	wantStatus(t, again.login(m[1], "2468"), http.StatusOK)
	wantIn(t, again.get("/account"), "Cora")

	t.Run("LimitedUntilVerified", func(t *testing.T) {
		// The self-registered category's rules allow no holds here.
		b.get("/titles/" + l.novel.BiblioID)
		refused := b.post("/titles/"+l.novel.BiblioID+"/hold", url.Values{"pickup": {"MAIN"}})
		if refused.status == http.StatusOK {
			t.Fatalf("an unverified patron placed a hold:\n%s", refused.body)
		}
		if hs, _ := l.svc.PatronHolds(l.ctx, p.PatronID); len(hs) != 0 {
			t.Fatalf("holds %+v", hs)
		}
		_, err := l.svc.VerifyPatron(l.ctx, p.PatronID, "ADULT")
		must(t, err)
		b.get("/titles/" + l.novel.BiblioID)
		wantStatus(t, b.post("/titles/"+l.novel.BiblioID+"/hold", url.Values{"pickup": {"MAIN"}}), http.StatusOK)
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		for name, f := range map[string]url.Values{
			"name and birth date": regForm("cora", "CASE", "1988-04-01", "someone@example.org"),
			"email":               regForm("Dora", "Dale", "1990-01-01", "Cora@Example.org"),
		} {
			v := l.browser()
			v.get("/register")
			f.Set("lang", "en")
			f.Set("address", "2 Other Rd")
			p := v.post("/register", f)
			wantStatus(t, p, http.StatusConflict)
			wantIn(t, p, "You may already have a library card", "reset your PIN")
			wantNotIn(t, p, m[1], "1 Main St")
			if name == "email" {
				wantNotIn(t, p, "Case")
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		v := l.browser()
		v.get("/register")
		f := regForm("Eve", "Eames", "1970-01-01", "")
		f.Set("pin_again", "9999")
		f.Set("lang", "en")
		p := v.post("/register", f)
		wantStatus(t, p, http.StatusUnprocessableEntity)
		wantIn(t, p, "Give an email address or a phone number.", "The new PINs are not the same.", `value="Eve"`)
		if ps, _ := l.svc.SearchPatrons(l.ctx, "Eames", 5); len(ps) != 0 {
			t.Fatal("an invalid registration registered")
		}
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		v := l.browser()
		wantStatus(t, v.postRaw("/register", regForm("Fay", "Ford", "1970-01-01", "fay@example.org")), http.StatusForbidden)
	})
}

func TestSelfRegisterRateLimited(t *testing.T) {
	l := selfLib(t)
	statuses := []int{}
	for i, name := range []string{"Ann", "Ben", "Cid", "Dan"} {
		v := l.browser()
		v.get("/register")
		f := regForm(name, "Rate", "1980-01-0"+string(rune('1'+i)), "")
		f.Set("phone", "+358 40 000 000"+string(rune('1'+i)))
		statuses = append(statuses, v.post("/register", f).status)
	}
	if statuses[0] != 200 || statuses[2] != 200 || statuses[3] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v, want three registrations then 429", statuses)
	}
}

func TestSelfRegisterNotOffered(t *testing.T) {
	l := newLib(t)
	v := l.browser()
	wantIn(t, v.get("/register"), "does not offer registration online")
	wantStatus(t, v.post("/register", regForm("Gil", "Gray", "1970-01-01", "gil@example.org")), http.StatusNotFound)
}
