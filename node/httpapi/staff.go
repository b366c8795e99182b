package httpapi

import (
	"net/http"
	"time"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// listStaff lists staff accounts; domain.Staff carries no password hash,
// so none reaches JSON.
func (a *API) listStaff(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	st, err := a.svc.StaffList(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, st, p))
}

// putStaff creates or replaces an account. Cached logins of the account are
// forgotten, so an old password stops working at once.
func (a *API) putStaff(w http.ResponseWriter, r *http.Request) error {
	var ns domain.NewStaff
	if err := decodeBody(r, &ns, false); err != nil {
		return err
	}
	user, err := pathID(r, "username", "username", ns.Username)
	if err != nil {
		return err
	}
	ns.Username = user
	st, err := a.svc.SetStaff(r.Context(), ns)
	a.forgetAccount(user)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// patchStaff is PATCH /staff/{username} {"active": false} or {"charset":
// "cp850"}: deactivating an account ends its sessions on every node (here
// at once, elsewhere once the change has replicated and their short account
// cache expires); a kiosk account's character set applies from its next
// SIP2 login.
func (a *API) patchStaff(w http.ResponseWriter, r *http.Request) error {
	var req domain.StaffUpdate
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if req.Active == nil && req.Charset == nil {
		return badRequest("Give active: true or false, or a charset.")
	}
	user := r.PathValue("username")
	st, err := a.svc.UpdateStaff(r.Context(), user, req)
	a.forgetAccount(user)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (a *API) forgetAccount(user string) {
	a.logins.forget(user)
	a.accounts.forget(user)
}

// me is who the request's credentials name, with what the role may do:
// staff clients (the TUI) check a login with it and hide what the role may
// not do. Without credentials it answers 401.
func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	actor, who := domain.ActorFrom(r.Context()), callerFrom(r)
	m := apitype.Me{Username: actor.ID, Role: actor.Role, Channel: string(actor.Channel), Branch: a.svc.Branch(),
		Permissions: nonNil(domain.Permissions(actor.Role))}
	if who.kind == kindPatron {
		m.PatronID = who.subject
	}
	return writeJSON(w, http.StatusOK, m)
}

// issue signs a session token for a subject.
func (a *API) issue(kind, subject, role string, ttl time.Duration) (string, time.Time, error) {
	now := a.clock.Now()
	exp := now.Add(ttl).Truncate(time.Second)
	tok, err := a.tokens.sign(claims{Subject: subject, Role: role, Kind: kind, Branch: a.svc.Branch(),
		IssuedAt: now.Unix(), ExpiresAt: exp.Unix()})
	return tok, exp, err
}

// staffLogin is POST /auth/login {"username","password"}: a session token
// valid on every node that shares the cluster key.
func (a *API) staffLogin(w http.ResponseWriter, r *http.Request) error {
	var req apitype.LoginRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	st, err := a.login(r.Context(), req.Username, req.Password)
	if err != nil {
		return err
	}
	tok, exp, err := a.issue(kindStaff, st.username, st.role, a.staffTTL)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.Session{Token: tok, ExpiresAt: exp.UTC(), Role: st.role,
		Username: st.username, Branch: a.svc.Branch()})
}

// patronLogin checks a patron's card number and PIN (web and mobile) and
// answers with a patron session token. Wrong PINs count towards the
// lockout shared with every channel and node.
func (a *API) patronLogin(w http.ResponseWriter, r *http.Request) error {
	var req apitype.PatronLoginRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	ctx := r.Context()
	if domain.ActorFrom(ctx).Role == "" {
		ctx = domain.WithActor(ctx, domain.Actor{ID: "patron:" + req.Cardnumber, Role: domain.RolePatron, Channel: domain.ActorFrom(ctx).Channel})
	}
	p, err := a.svc.CheckPIN(ctx, req.Cardnumber, req.PIN)
	if err != nil {
		return err
	}
	tok, exp, err := a.issue(kindPatron, p.PatronID, domain.RolePatron, a.patrTTL)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.PatronSession{Patron: p, Token: tok, ExpiresAt: exp.UTC()})
}

func (a *API) resetPINLockout(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.ResetPINLockout(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
