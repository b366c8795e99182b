package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/node/httpapi"
	"stacks/replicate"
	"stacks/replicate/central"
)

// Health thresholds of the cluster status.
const (
	// staleContact: a branch that has not synced with any central node for
	// this long is marked.
	staleContact = 5 * time.Minute
	// opsBehindLimit: a branch this many ops behind central is marked.
	opsBehindLimit = 10000
	// applyLagLimit: a central node whose applied index trails the
	// cluster's commit index by this much is marked.
	applyLagLimit = 1000
)

// clusterAdmin is the httpapi.Cluster of a central node.
type clusterAdmin struct{ n *Node }

var _ httpapi.Cluster = clusterAdmin{}

func (c clusterAdmin) Raft(ctx context.Context) (*apitype.RaftInfo, error) {
	st := c.n.central.Status(ctx)
	m := apitype.CentralMember{ID: st.ID, RaftAddr: st.RaftAddr, URL: c.n.centralURL()}
	return &apitype.RaftInfo{Member: m, State: st.State, Leader: st.LeaderID, Term: st.Term}, nil
}

func (c clusterAdmin) Join(ctx context.Context, m apitype.CentralMember) error {
	return c.n.central.Join(ctx, central.Member{ID: m.ID, RaftAddr: m.RaftAddr, URL: strings.TrimRight(m.URL, "/"), SyncURL: m.SyncURL})
}

func (c clusterAdmin) Remove(ctx context.Context, id string) error {
	err := c.n.central.Remove(ctx, id)
	if errors.Is(err, central.ErrUnknownMember) {
		return httpapi.ErrUnknownMember
	}
	return err
}

// Status asks every central node for its view (in parallel, briefly) and
// puts it together with the branch registry.
func (c clusterAdmin) Status(ctx context.Context) (*apitype.ClusterStatus, error) {
	n := c.n
	cc := n.cfg.Central.withDefaults()
	now := n.cfg.Clock.Now().UTC()
	self := n.central.Status(ctx)
	out := &apitype.ClusterStatus{Node: self.ID, Role: RoleCentral, Cluster: cc.Cluster, At: now,
		Central: []apitype.CentralNode{}, Branches: []apitype.BranchHealth{}}
	members, err := n.central.Members(ctx)
	if err != nil {
		return nil, err
	}
	mine, err := n.log.VersionVector(ctx) // what a branch is measured against
	if err != nil {
		return nil, err
	}
	// The Raft configuration is the truth of who is a member; URLs come
	// from the log.
	urls := map[string]central.Member{}
	for _, m := range members {
		urls[m.ID] = m
	}
	views := make([]*centralView, len(self.Peers))
	errs := make([]error, len(self.Peers))
	var wg sync.WaitGroup
	for i, p := range self.Peers {
		if p.ID == self.ID {
			views[i] = &centralView{Raft: self, Contacts: n.contacts.list()}
			continue
		}
		m, ok := urls[p.ID]
		if !ok {
			errs[i] = errors.New("has not published its URL")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			views[i], errs[i] = n.fetchCentralView(ctx, m)
		}()
	}
	wg.Wait()
	var maxCommit uint64
	leaders := map[string]bool{}
	for _, v := range views {
		if v != nil {
			maxCommit = max(maxCommit, v.Raft.CommitIndex)
			if v.Raft.State == "leader" {
				leaders[v.Raft.ID] = true
			}
		}
	}
	contacts := map[string]apitype.BranchHealth{}
	for i, p := range self.Peers {
		cn := apitype.CentralNode{ID: p.ID, URL: urls[p.ID].URL, Problems: []string{}, Peers: []string{}}
		v := views[i]
		if v == nil {
			cn.State = "unreachable"
			cn.Problems = append(cn.Problems, fmt.Sprintf("unreachable: %v", errs[i]))
		} else {
			r := v.Raft
			cn.Reachable, cn.State, cn.Term, cn.LastIndex, cn.CommitIndex, cn.AppliedIndex, cn.LeaderID =
				true, r.State, r.Term, r.LastIndex, r.CommitIndex, r.AppliedIndex, r.LeaderID
			for _, pp := range r.Peers {
				cn.Peers = append(cn.Peers, pp.ID)
			}
			if r.LeaderID == "" {
				cn.Problems = append(cn.Problems, "sees no leader")
			}
			if maxCommit > r.AppliedIndex && maxCommit-r.AppliedIndex > applyLagLimit {
				cn.Problems = append(cn.Problems, fmt.Sprintf("applied index %d trails the cluster's commit index %d", r.AppliedIndex, maxCommit))
			}
			for _, ct := range v.Contacts {
				prev, ok := contacts[ct.Node]
				if ok && prev.LastContact != nil && !ct.LastSeen.After(*prev.LastContact) {
					continue
				}
				seen := ct.LastSeen
				contacts[ct.Node] = apitype.BranchHealth{LastContact: &seen, Via: p.ID, Version: ct.Version, OpsBehind: behind(mine, ct.VectorMap)}
			}
		}
		out.Central = append(out.Central, cn)
	}
	if len(leaders) == 0 {
		for i := range out.Central {
			if out.Central[i].Reachable {
				out.Central[i].Problems = appendOnce(out.Central[i].Problems, "the cluster has no leader")
			}
		}
	}
	nodes, err := n.svc.RegistryNodes(ctx)
	if err != nil {
		return nil, err
	}
	libs := map[string]string{}
	if ls, err := n.svc.Libraries(ctx); err == nil {
		for _, l := range ls {
			libs[l.BranchID] = l.Name
		}
	}
	open, err := n.svc.Conflicts(ctx, "open")
	if err != nil {
		return nil, err
	}
	out.ConflictsOpen = len(open)
	openJSON := make([]string, len(open)) // marshalled once, searched per branch
	for i, c := range open {
		b, _ := json.Marshal(c)
		openJSON[i] = string(b)
	}
	compaction, compactionProblems := n.compactionStatus(ctx)
	out.Compaction = compaction
	for _, rn := range nodes {
		if rn.Role != domain.NodeRoleBranch {
			continue
		}
		bh := contacts[rn.NodeID]
		bh.LibraryID, bh.Name, bh.NodeID, bh.Retired, bh.Problems = rn.BranchID, libs[rn.BranchID], rn.NodeID, rn.Retired, []string{}
		if bh.Name == "" {
			bh.Name = rn.Name
		}
		bh.ConflictsOpen = conflictsOf(openJSON, rn.BranchID)
		if !rn.Retired {
			switch {
			case bh.LastContact == nil:
				bh.Problems = append(bh.Problems, "has never synced with central")
			case now.Sub(*bh.LastContact) > staleContact:
				bh.Problems = append(bh.Problems, fmt.Sprintf("no contact for %s", now.Sub(*bh.LastContact).Round(time.Second)))
			}
			if bh.OpsBehind > opsBehindLimit {
				bh.Problems = append(bh.Problems, fmt.Sprintf("%d ops behind central", bh.OpsBehind))
			}
			bh.Problems = append(bh.Problems, compactionProblems[rn.NodeID]...)
			if bh.ConflictsOpen > 0 {
				bh.Problems = append(bh.Problems, fmt.Sprintf("%d open conflicts to resolve", bh.ConflictsOpen))
			}
		}
		out.Branches = append(out.Branches, bh)
	}
	sort.Slice(out.Branches, func(i, j int) bool {
		if out.Branches[i].LibraryID != out.Branches[j].LibraryID {
			return out.Branches[i].LibraryID < out.Branches[j].LibraryID
		}
		return out.Branches[i].NodeID < out.Branches[j].NodeID
	})
	out.Healthy = true
	for _, cn := range out.Central {
		out.Healthy = out.Healthy && len(cn.Problems) == 0
	}
	for _, b := range out.Branches {
		out.Healthy = out.Healthy && len(b.Problems) == 0
	}
	return out, nil
}

func appendOnce(xs []string, s string) []string {
	for _, x := range xs {
		if x == s {
			return xs
		}
	}
	return append(xs, s)
}

// conflictsOf counts the open conflicts (as JSON) that name a branch.
func conflictsOf(open []string, branchID string) int {
	n := 0
	needle := `"` + branchID + `"`
	for _, c := range open {
		if strings.Contains(c, needle) {
			n++
		}
	}
	return n
}

// behind is how many ops of mine the vector lacks.
func behind(mine replicate.VersionVector, vec map[string]uint64) uint64 {
	if vec == nil {
		return 0
	}
	var d uint64
	for o, c := range mine {
		if have := vec[o.String()]; c > have {
			d += c - have
		}
	}
	return d
}

// fetchCentralView asks another central node for its view.
func (n *Node) fetchCentralView(ctx context.Context, m central.Member) (*centralView, error) {
	base := m.NodeAPI()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+centralStatusPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := n.nodeClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("answered %s", resp.Status)
	}
	var v centralView
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&v); err != nil {
		return nil, err
	}
	return &v, nil
}

// centralURL is this node's advertised API URL.
func (n *Node) centralURL() string {
	u := n.cfg.Central.AdvertiseURL
	if u == "" {
		u = "http://" + n.Addr()
	}
	return strings.TrimRight(u, "/")
}
