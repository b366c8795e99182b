package central

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/hashicorp/raft"

	"stacks/replicate"
)

// The central nodes' own API, served beside the sync API (and, like it,
// only to other nodes: on the mutual-TLS or tailnet listener in
// production):
//
//	POST   /central/v1/propose        an entry -> {"index", "added"} (leader only)
//	POST   /central/v1/members        a Member joins (leader only)
//	DELETE /central/v1/members/{id}   a member leaves (leader only)
const (
	ProposePath = "/central/v1/propose"
	MembersPath = "/central/v1/members"
)

// maxEntry bounds one forwarded entry.
const maxEntry = replicate.MaxFrameBytes + 1<<20

// Register mounts the central API on mux.
func (n *Node) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+ProposePath, n.servePropose)
	mux.HandleFunc("POST "+MembersPath, n.serveJoin)
	mux.HandleFunc("DELETE "+MembersPath+"/{id}", n.serveRemove)
}

func (n *Node) servePropose(w http.ResponseWriter, r *http.Request) {
	if n.raft.State() != raft.Leader {
		http.Error(w, "not the leader", http.StatusMisdirectedRequest)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxEntry+1))
	if err != nil || len(data) == 0 || len(data) > maxEntry {
		http.Error(w, "bad entry", http.StatusBadRequest)
		return
	}
	switch data[0] {
	case entryIntegrate, entryLocal:
		// Check the frame before it enters the log: a bad entry would be
		// refused by every replica, but should not be committed at all.
		if _, err := decodeOps(data[1:]); err != nil {
			n.lg.Warn("forwarded entry rejected", "err", err, "from", r.Header.Get("X-Stacks-Central"))
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	case entryDecide:
		var e decideEntry
		if err := json.Unmarshal(data[1:], &e); err != nil || n.deciders[e.Name] == nil {
			http.Error(w, "bad decide entry", http.StatusBadRequest)
			return
		}
	default:
		http.Error(w, "entry type not accepted here", http.StatusBadRequest)
		return
	}
	res, idx, err := n.applyLocalFull(data)
	// Not committed for sure: the sender may try the next leader. After a
	// lost leadership the outcome is unknown; only a push (idempotent) and
	// a decision (its deciders answer a repeated request as the first) may
	// be sent again.
	if errors.Is(err, raft.ErrNotLeader) || (errors.Is(err, raft.ErrLeadershipLost) && (data[0] == entryIntegrate || data[0] == entryDecide)) {
		http.Error(w, err.Error(), http.StatusMisdirectedRequest)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	reply := replyOf(res, idx)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(reply)
}

func (n *Node) serveJoin(w http.ResponseWriter, r *http.Request) {
	var m Member
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&m); err != nil {
		http.Error(w, "bad member: "+err.Error(), http.StatusBadRequest)
		return
	}
	if n.raft.State() != raft.Leader {
		http.Error(w, "not the leader", http.StatusMisdirectedRequest)
		return
	}
	if err := n.Join(r.Context(), m); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (n *Node) serveRemove(w http.ResponseWriter, r *http.Request) {
	if n.raft.State() != raft.Leader {
		http.Error(w, "not the leader", http.StatusMisdirectedRequest)
		return
	}
	err := n.Remove(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, ErrUnknownMember):
		http.Error(w, err.Error(), http.StatusNotFound)
	case err != nil:
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
