package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

func TestVerificationQueue(t *testing.T) {
	f := newFixture(t)
	must(t, f.svc.SetCategory(f.admin, domain.Category{Category: domain.CategorySelfRegistered, EnrolmentMonths: 3}))
	web := domain.WithActor(context.Background(), domain.Actor{ID: "web", Channel: domain.ChannelWeb})
	self, err := f.svc.RegisterPatron(web, domain.NewPatron{Firstname: "Cora", Surname: "Case", DateOfBirth: "1988-04-01",
		Email: "cora@example.org", PIN: "2468", SelfRegistered: true})
	must(t, err)

	var queue []domain.Patron
	f.do("GET", "/api/v1/patrons?verified=false", nil, asClerk).want(t, http.StatusOK, &queue)
	if len(queue) != 1 || queue[0].PatronID != self.PatronID {
		t.Fatalf("queue %+v", queue)
	}
	f.do("GET", "/api/v1/patrons?verified=maybe", nil).want(t, http.StatusBadRequest, nil)
	f.do("GET", "/api/v1/patrons?verified=false", nil, asAnon).want(t, http.StatusUnauthorized, nil)
	f.do("GET", "/api/v1/patrons?verified=false", nil, asCentralIT).want(t, http.StatusForbidden, nil)

	path := "/api/v1/patrons/" + self.PatronID + "/verify"
	f.do("POST", path, apitype.VerifyRequest{Category: "ADULT"}, asKiosk).want(t, http.StatusForbidden, nil)
	f.do("POST", path, apitype.VerifyRequest{}, asClerk).want(t, http.StatusBadRequest, nil)
	var got domain.Patron
	f.do("POST", path, apitype.VerifyRequest{Category: "ADULT"}, asClerk).want(t, http.StatusOK, &got)
	if got.Category != "ADULT" {
		t.Fatalf("verified %+v", got)
	}
	f.do("POST", path, apitype.VerifyRequest{Category: "ADULT"}, asClerk).want(t, http.StatusConflict, nil)
	f.do("GET", "/api/v1/patrons?verified=false", nil, asClerk).want(t, http.StatusOK, &queue)
	if len(queue) != 0 {
		t.Fatalf("queue after verifying %+v", queue)
	}
	f.do("POST", "/api/v1/patrons/nope/verify", apitype.VerifyRequest{Category: "ADULT"}, asClerk).want(t, http.StatusNotFound, nil)
}
