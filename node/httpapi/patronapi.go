package httpapi

import (
	"errors"
	"net/http"
	"net/url"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// The patron API: /api/v1/patron/..., for apps and discovery layers. Every
// route is self-scoped: the patron is the one whose token is presented, so
// no route names a patron and another patron's data cannot be asked for.
// A staff login is refused (403): staff use /api/v1/patrons/{id}/...
// Every change is an op with channel app.

func (a *API) patronRoutes() {
	a.handle("GET /api/v1/patron/profile", a.myProfile)
	a.handle("PATCH /api/v1/patron/profile", a.patchMyProfile)
	a.handle("GET /api/v1/patron/account", a.myAccount)
	a.handle("GET /api/v1/patron/checkouts", a.myCheckouts, paged...)
	a.handle("POST /api/v1/patron/checkouts/{id}/renewal", a.renewMine)
	a.handle("POST /api/v1/patron/checkouts/renewal", a.renewAllMine)
	a.handle("GET /api/v1/patron/holds", a.myHolds, paged...)
	a.handle("POST /api/v1/patron/holds", a.placeMyHold)
	a.handle("PATCH /api/v1/patron/holds/{id}", a.updateMyHold)
	a.handle("DELETE /api/v1/patron/holds/{id}", a.cancelMyHold)
	a.handle("GET /api/v1/patron/charges", a.myCharges)
	a.handle("GET /api/v1/patron/pickup_locations", a.pickupLocations)
	a.patronPrefsRoutes()
	a.privacyRoutes()
	a.handoffRoutes()
	a.paymentRoutes()
}

// me is the patron calling a self-scoped route (authorize made sure there
// is one).
func me(r *http.Request) string { return callerFrom(r).subject }

func (a *API) myProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := a.svc.Patron(r.Context(), me(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (a *API) patchMyProfile(w http.ResponseWriter, r *http.Request) error {
	var req apitype.PatronProfileUpdate
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	p, err := a.svc.UpdatePatron(r.Context(), me(r), domain.PatronUpdate{
		Email: req.Email, Phone: req.Phone, Address: req.Address, Language: req.Language})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// myAccount is the account in the shape of FOLIO's mod-patron account.
func (a *API) myAccount(w http.ResponseWriter, r *http.Request) error {
	ctx, id := r.Context(), me(r)
	loans, err := a.svc.PatronLoans(ctx, id, false)
	if err != nil {
		return err
	}
	holds, err := a.svc.PatronHolds(ctx, id)
	if err != nil {
		return err
	}
	charges, total, err := a.outstanding(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.PatronAccount{
		ID: id, TotalCharges: a.money(total), TotalChargesCount: len(charges),
		TotalLoans: len(loans), TotalHolds: len(holds),
		Loans: nonNil(loans), Holds: nonNil(holds), Charges: charges})
}

// outstanding are the patron's charges not yet paid, and their sum.
func (a *API) outstanding(r *http.Request) ([]domain.FeeLine, int64, error) {
	acct, err := a.svc.Account(r.Context(), me(r))
	if err != nil {
		return nil, 0, err
	}
	charges := []domain.FeeLine{}
	var total int64
	for _, l := range acct.Lines {
		if l.Outstanding > 0 {
			charges = append(charges, l)
			total += l.Outstanding
		}
	}
	return charges, total, nil
}

func (a *API) money(cents int64) apitype.Money {
	return apitype.Money{Amount: float64(cents) / 100, Cents: cents, Currency: a.currency}
}

func (a *API) myCharges(w http.ResponseWriter, r *http.Request) error {
	charges, _, err := a.outstanding(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, charges)
}

func (a *API) myCheckouts(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ls, err := a.svc.PatronLoans(r.Context(), me(r), false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, nonNil(ls), p))
}

// myLoan is the caller's open loan id; another patron's is not found.
func (a *API) myLoan(r *http.Request, id string) (*domain.Loan, error) {
	l, err := a.svc.Loan(r.Context(), id)
	if err == nil && (l.PatronID != me(r) || l.ReturnedAt != "") {
		err = nil
		l = nil
	}
	if err != nil || l == nil {
		return nil, &apiError{code: domain.CodeNotFound, detail: "You have no open loan " + id + "."}
	}
	return l, nil
}

func (a *API) renewMine(w http.ResponseWriter, r *http.Request) error {
	if err := decodeBody(r, &struct{}{}, true); err != nil {
		return err
	}
	l, err := a.myLoan(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return a.renew(w, r, domain.RenewRequest{LoanID: l.LoanID})
}

// renewAllMine renews the loans named, or every open loan, and answers
// each one's outcome: a refusal of one does not stop the others.
func (a *API) renewAllMine(w http.ResponseWriter, r *http.Request) error {
	var req apitype.PatronRenewAllRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	var loans []*domain.Loan
	if len(req.CheckoutIDs) == 0 {
		ls, err := a.svc.PatronLoans(r.Context(), me(r), false)
		if err != nil {
			return err
		}
		loans = ls
	}
	for _, id := range req.CheckoutIDs {
		l, err := a.myLoan(r, id)
		if err != nil {
			return err
		}
		loans = append(loans, l)
	}
	out := []apitype.PatronRenewal{}
	for _, l := range loans {
		res, err := a.svc.Renew(r.Context(), domain.RenewRequest{LoanID: l.LoanID})
		if err != nil {
			var e *domain.Error
			if !errors.As(err, &e) {
				return err
			}
			p, _ := problemFor(err)
			p.Type, p.Title = "about:blank", http.StatusText(p.Status)
			out = append(out, apitype.PatronRenewal{CheckoutID: l.LoanID, Refusal: &p})
			continue
		}
		out = append(out, apitype.PatronRenewal{CheckoutID: l.LoanID, Renewed: true, Checkout: res.Loan})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) myHolds(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	hs, err := a.svc.PatronHolds(r.Context(), me(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, nonNil(hs), p))
}

func (a *API) placeMyHold(w http.ResponseWriter, r *http.Request) error {
	var req apitype.PatronHoldRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	h, err := a.svc.PlaceHold(r.Context(), domain.HoldRequest{PatronID: me(r), BiblioID: req.BiblioID, ItemID: req.ItemID,
		PickupBranch: req.PickupBranch, NotNeededAfter: req.NotNeededAfter})
	if err != nil {
		return err
	}
	return created(w, "/api/v1/patron/holds/"+url.PathEscape(h.HoldID), h)
}

// myHold is the caller's active hold id; another patron's is not found.
func (a *API) myHold(r *http.Request, id string) (*domain.Hold, error) {
	h, err := a.svc.Hold(r.Context(), id)
	if err != nil || h.PatronID != me(r) || !h.Active() {
		return nil, &apiError{code: domain.CodeNotFound, detail: "You have no active hold " + id + "."}
	}
	return h, nil
}

// updateMyHold suspends, resumes or moves the pickup of a hold.
func (a *API) updateMyHold(w http.ResponseWriter, r *http.Request) error {
	var req apitype.PatronHoldUpdate
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.SuspendedUntil == nil && req.PickupBranch == nil {
		return badRequest("Send suspended_until (a date, or \"\" to resume) or pickup_library_id.")
	}
	h, err := a.myHold(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	if until := req.SuspendedUntil; until != nil && *until != "" {
		if _, err := domain.ParseDate(*until); err != nil {
			return err
		}
		if *until <= a.svc.Now().Format(domain.DateLayout) {
			return badRequest("suspended_until must be after today.")
		}
	}
	if req.PickupBranch != nil {
		if h, err = a.svc.ChangePickup(r.Context(), h.HoldID, *req.PickupBranch); err != nil {
			return err
		}
	}
	if req.SuspendedUntil != nil {
		if h, err = a.svc.SuspendHold(r.Context(), h.HoldID, *req.SuspendedUntil); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, h)
}

func (a *API) cancelMyHold(w http.ResponseWriter, r *http.Request) error {
	h, err := a.myHold(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	h, err = a.svc.CancelHold(r.Context(), h.HoldID, "cancelled by the patron in an app")
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}

func (a *API) pickupLocations(w http.ResponseWriter, r *http.Request) error {
	libs, err := a.svc.Libraries(r.Context())
	if err != nil {
		return err
	}
	out := []apitype.PickupLocation{}
	for _, l := range libs {
		out = append(out, apitype.PickupLocation{LibraryID: l.BranchID, Name: l.Name, Address: l.Address})
	}
	return writeJSON(w, http.StatusOK, out)
}
