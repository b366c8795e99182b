package branch_test

import (
	"errors"
	"testing"

	"stacks/branch/domain"
)

func TestSelfRegistration(t *testing.T) {
	e := newEnv(t)
	mustNoErr(t, e.svc.SetCategory(e.ctx, domain.Category{Category: domain.CategorySelfRegistered, MaxFineCents: 500, EnrolmentMonths: 3, MaxHolds: 0}))
	web := domain.WithActor(e.ctx, domain.Actor{ID: "web", Channel: domain.ChannelWeb})
	np := domain.NewPatron{Firstname: "Ada", Surname: "Lovelace", DateOfBirth: "1990-12-10", Email: "ada@example.org", PIN: "4321",
		Address: "1 Analytical St", Language: "fi", SelfRegistered: true, Category: "ADULT", Cardnumber: "999"}
	p, err := e.svc.RegisterPatron(web, np)
	mustNoErr(t, err)
	if p.Category != domain.CategorySelfRegistered || len(p.Cardnumber) != 14 || p.Language != "fi" || p.ExpiryDate != "2027-02-23" {
		t.Fatalf("self-registered %+v", p)
	}
	if _, err := e.svc.CheckPIN(web, p.Cardnumber, "4321"); err != nil {
		t.Fatalf("the new card does not log in: %v", err)
	}

	t.Run("ErrDuplicate", func(t *testing.T) {
		for name, d := range map[string]domain.NewPatron{
			"same name and birth date": {Firstname: "ADA", Surname: "lovelace", DateOfBirth: "1990-12-10", Email: "other@example.org"},
			"same email":               {Firstname: "Augusta", Surname: "King", DateOfBirth: "1991-01-01", Email: "Ada@Example.org"},
		} {
			d.PIN, d.SelfRegistered = "1111", true
			if _, err := e.svc.RegisterPatron(web, d); !errors.Is(err, domain.ErrDuplicatePatron) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
	t.Run("ErrIncomplete", func(t *testing.T) {
		for name, d := range map[string]domain.NewPatron{
			"no birth date": {Firstname: "Bo", Surname: "Bell", Email: "bo@example.org"},
			"no contact":    {Firstname: "Bo", Surname: "Bell", DateOfBirth: "2000-01-01"},
			"bad language":  {Firstname: "Bo", Surname: "Bell", DateOfBirth: "2000-01-01", Email: "bo@example.org", Language: "xx"},
		} {
			d.PIN, d.SelfRegistered = "1111", true
			if _, err := e.svc.RegisterPatron(web, d); !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})

	// A desk registration is not checked for duplicates (staff see the person).
	_, err = e.svc.RegisterPatron(e.ctx, domain.NewPatron{Firstname: "Ada", Surname: "Lovelace", DateOfBirth: "1990-12-10", Category: "ADULT", PIN: "1234"})
	mustNoErr(t, err)

	queue, err := e.svc.UnverifiedPatrons(e.ctx, 0)
	mustNoErr(t, err)
	if len(queue) != 1 || queue[0].PatronID != p.PatronID {
		t.Fatalf("queue %+v", queue)
	}
	if _, err := e.svc.VerifyPatron(e.ctx, p.PatronID, domain.CategorySelfRegistered); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("verify into SELF: %v", err)
	}
	if _, err := e.svc.VerifyPatron(e.ctx, p.PatronID, "NOPE"); err == nil {
		t.Fatal("verified into a category that does not exist")
	}
	v, err := e.svc.VerifyPatron(e.clerk, p.PatronID, "ADULT")
	mustNoErr(t, err)
	if v.Category != "ADULT" {
		t.Fatalf("verified %+v", v)
	}
	if _, err := e.svc.VerifyPatron(e.clerk, p.PatronID, "ADULT"); !errors.Is(err, domain.ErrNotSelfRegistered) {
		t.Fatalf("verified twice: %v", err)
	}
	queue, err = e.svc.UnverifiedPatrons(e.ctx, 0)
	mustNoErr(t, err)
	if len(queue) != 0 {
		t.Fatalf("queue after verifying %+v", queue)
	}
}
