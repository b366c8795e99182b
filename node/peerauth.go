package node

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"stacks/branch/domain"
	"stacks/replicate/nodecert"
	"stacks/replicate/peersync"
	"stacks/replicate/tailnet"
)

// registryGate maps an authenticated peer (a certificate that names its
// branch, or a tailnet node with a branch tag) to the branch registry once
// this node knows it: a branch peer must name the node it syncs as
// (X-Stacks-From-Node), and that node must be registered to the branch its
// certificate names. Central peers are admitted by their role alone. Before
// the registry is known (a new branch's first sync), peers are admitted by
// certificate or tag, as before.
func (n *Node) registryGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		branchName, central, known := "", false, false
		if id, ok := peersync.PeerIdentity(r.Context()); ok {
			known = true
			central = id.Role == nodecert.RoleCentral
			branchName = id.Name
		} else if p, ok := tailnet.PeerFromContext(r.Context()); ok {
			known = true
			central = p.HasTag(tailnet.TagCentral)
		}
		if !known || central {
			next.ServeHTTP(w, r)
			return
		}
		nodes, err := n.svc.RegistryNodes(r.Context())
		if err != nil || len(nodes) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		from := strings.ToLower(r.Header.Get(headerNode))
		var entry *domain.RegistryNode
		for i := range nodes {
			if nodes[i].NodeID == from {
				entry = &nodes[i]
			}
		}
		switch {
		case from == "":
			n.refusePeer(w, r, "a branch peer must say which node it is (X-Stacks-From-Node)")
		case entry == nil:
			n.refusePeer(w, r, fmt.Sprintf("node %s is not in the branch registry", from))
		case entry.Role != domain.NodeRoleBranch:
			n.refusePeer(w, r, fmt.Sprintf("node %s is registered as %s, not as a branch", from, entry.Role))
		case branchName != "" && !strings.EqualFold(entry.BranchID, branchName):
			n.refusePeer(w, r, fmt.Sprintf("node %s is registered to %s, but its certificate names %s", from, entry.BranchID, branchName))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (n *Node) refusePeer(w http.ResponseWriter, r *http.Request, why string) {
	n.lg.Warn("sync peer refused by the branch registry", "reason", why, "remote", r.RemoteAddr, "path", r.URL.Path)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusForbidden)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": "Forbidden", "status": http.StatusForbidden,
		"code": "peer_not_registered", "detail": "Sync refused: " + why + "."})
}
