package httpapi

import (
	"net/http"
)

func (a *API) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// clusterState is what a node has: its id, the ops it holds per origin, and
// the hash of its state, which equal nodes share.
type clusterState struct {
	NodeID        string `json:"node_id"`
	VersionVector any    `json:"version_vector"`
	StateHash     string `json:"state_hash"`
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
	return writeJSON(w, http.StatusOK, clusterState{NodeID: log.Node().String(), VersionVector: vv, StateHash: hash})
}
