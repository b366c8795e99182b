package httpapi

import (
	"net/http"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

func (a *API) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, apitype.Health{Status: "ok"})
}

func (a *API) clusterState(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	log := a.svc.Log()
	vv, err := log.VersionVector(ctx)
	if err != nil {
		return err
	}
	hash, err := a.svc.StateHash(ctx)
	if err != nil {
		return err
	}
	st := apitype.ClusterState{NodeID: log.Node().String(), VersionVector: make(map[string]uint64, len(vv)), StateHash: hash}
	for o, c := range vv {
		st.VersionVector[o.String()] = c
	}
	return writeJSON(w, http.StatusOK, st)
}

func (a *API) clusterPeers(w http.ResponseWriter, r *http.Request) error {
	peers := []apitype.PeerStatus{}
	if a.peers != nil {
		peers = nonNil(a.peers())
	}
	return writeJSON(w, http.StatusOK, peers)
}

func (a *API) listConflicts(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	if status != "" && status != "open" && status != "resolved" {
		return badRequest("status must be open or resolved.")
	}
	cs, err := a.svc.Conflicts(r.Context(), status)
	if err != nil {
		return err
	}
	cs = paginate(w, cs, p)
	if err := a.svc.NameConflictPatrons(r.Context(), cs); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, cs)
}

func (a *API) getConflict(w http.ResponseWriter, r *http.Request) error {
	c, err := a.svc.Conflict(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := a.svc.NameConflictPatrons(r.Context(), []*domain.Conflict{c}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) resolveConflict(w http.ResponseWriter, r *http.Request) error {
	var res domain.Resolution
	if err := decodeBody(r, &res, false); err != nil {
		return err
	}
	c, err := a.svc.ResolveConflict(r.Context(), r.PathValue("id"), res)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}
