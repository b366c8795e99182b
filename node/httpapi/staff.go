package httpapi

import (
	"net/http"

	"stacks/branch"
)

// listStaff lists staff accounts; branch.Staff keeps the password hash
// unexported, so it never reaches JSON.
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
	var ns branch.NewStaff
	if err := decodeBody(r, &ns, false); err != nil {
		return err
	}
	user, err := pathID(r, "username", "username", ns.Username)
	if err != nil {
		return err
	}
	ns.Username = user
	st, err := a.svc.SetStaff(r.Context(), ns)
	a.logins.forget(user)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// me is who the request's credentials name: staff clients (the TUI) check a
// login with it. Without credentials it answers 401.
func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	actor := branch.ActorFrom(r.Context())
	if actor.Role == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="Stacks"`)
		return &branch.Error{Code: "bad_credentials", Message: "Log in with a staff username and password."}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"username": actor.ID, "role": actor.Role,
		"channel": string(actor.Channel), "library_id": a.svc.Branch()})
}

// patronLogin checks a patron's card number and PIN (web and mobile). Wrong
// PINs count towards the lockout shared with every channel and node.
func (a *API) patronLogin(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Cardnumber string `json:"cardnumber"`
		PIN        string `json:"pin"`
	}
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	ctx := r.Context()
	if branch.ActorFrom(ctx).Role == "" {
		ctx = branch.WithActor(ctx, branch.Actor{ID: "patron:" + req.Cardnumber, Role: branch.RolePatron, Channel: branch.ActorFrom(ctx).Channel})
	}
	p, err := a.svc.CheckPIN(ctx, req.Cardnumber, req.PIN)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (a *API) resetPINLockout(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.ResetPINLockout(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
