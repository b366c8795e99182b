package httpapi

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// Cluster is what a central node offers for cluster administration and
// health. The node wires it; a branch appliance has none.
type Cluster interface {
	// Status gathers every central node's and every branch's health.
	Status(ctx context.Context) (*apitype.ClusterStatus, error)
	// Raft is this node's own Raft identity and state.
	Raft(ctx context.Context) (*apitype.RaftInfo, error)
	// Join adds a node to the Raft cluster; Remove takes one out.
	Join(ctx context.Context, m apitype.CentralMember) error
	Remove(ctx context.Context, id string) error
}

// ErrUnknownMember is what Cluster.Remove returns for a node that is not
// in the cluster.
var ErrUnknownMember = errors.New("no such central node")

// centralRoutes registers the routes of the central role and of cluster
// health (cluster status, members, the registry, the status page, metrics).
func (a *API) centralRoutes() {
	a.handle("GET /metrics", a.serveMetrics)
	a.handle("GET /api/v1/cluster/status", a.clusterStatus)
	a.handle("GET /status", a.statusPage)
	a.handle("GET /api/v1/cluster/raft", a.clusterRaft)
	a.handle("POST /api/v1/cluster/members", a.joinMember)
	a.handle("DELETE /api/v1/cluster/members/{id}", a.removeMember)
	a.handle("GET /api/v1/cluster/nodes", a.listNodes, paged...)
	a.handle("PUT /api/v1/cluster/nodes/{node_id}", a.putNode)
}

func (a *API) notCentral() error {
	return &apiError{code: CodeNotCentral,
		detail: "This node is a branch appliance; cluster health and administration are served by the central nodes."}
}

func (a *API) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	if a.metrics == nil {
		return &apiError{code: domain.CodeNotFound, detail: "This node serves no metrics."}
	}
	a.metrics.ServeHTTP(w, r)
	return nil
}

func (a *API) clusterStatus(w http.ResponseWriter, r *http.Request) error {
	if a.cluster == nil {
		return a.notCentral()
	}
	st, err := a.cluster.Status(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (a *API) clusterRaft(w http.ResponseWriter, r *http.Request) error {
	if a.cluster == nil {
		return a.notCentral()
	}
	ri, err := a.cluster.Raft(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ri)
}

func (a *API) joinMember(w http.ResponseWriter, r *http.Request) error {
	if a.cluster == nil {
		return a.notCentral()
	}
	var m apitype.CentralMember
	if err := decodeBody(r, &m, false); err != nil {
		return err
	}
	if m.ID == "" || m.RaftAddr == "" || m.URL == "" {
		return badRequest("A central node joins with its id, raft_addr and url (GET /api/v1/cluster/raft on it gives them).")
	}
	if err := a.cluster.Join(r.Context(), m); err != nil {
		return &apiError{code: CodeClusterUnavailable, detail: err.Error()}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request) error {
	if a.cluster == nil {
		return a.notCentral()
	}
	err := a.cluster.Remove(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, ErrUnknownMember):
		return &apiError{code: domain.CodeNotFound, detail: "There is no central node " + r.PathValue("id") + "."}
	case err != nil:
		return &apiError{code: CodeClusterUnavailable, detail: err.Error()}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listNodes(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ns, err := a.svc.RegistryNodes(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, paginate(w, ns, p))
}

func (a *API) putNode(w http.ResponseWriter, r *http.Request) error {
	if a.cluster == nil {
		return &apiError{code: CodeRegistryIsCentral,
			detail: "The branch registry is issued by central; register nodes on a central node."}
	}
	var n domain.RegistryNode
	if err := decodeBody(r, &n, false); err != nil {
		return err
	}
	id, err := pathID(r, "node_id", "node_id", n.NodeID)
	if err != nil {
		return err
	}
	n.NodeID = id
	if err := a.svc.RegisterNode(r.Context(), n); err != nil {
		return err
	}
	ns, err := a.svc.RegistryNodes(r.Context())
	if err != nil {
		return err
	}
	for _, x := range ns {
		if strings.EqualFold(x.NodeID, fmt.Sprintf("%016s", id)) {
			return writeJSON(w, http.StatusOK, x)
		}
	}
	return writeJSON(w, http.StatusOK, n)
}

// statusPage is the cluster status for central IT in a browser: the same
// facts as /api/v1/cluster/status, refreshed every 10 seconds.
func (a *API) statusPage(w http.ResponseWriter, r *http.Request) error {
	if a.cluster == nil {
		return a.notCentral()
	}
	st, err := a.cluster.Status(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return statusTemplate.Execute(w, st)
}

var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"ago": func(t *time.Time, now time.Time) string {
		if t == nil {
			return "never"
		}
		return now.Sub(*t).Round(time.Second).String() + " ago"
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>Stacks cluster status{{if not .Healthy}} (problems){{end}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin-bottom:2rem}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}.bad{background:#fde2e1}.ok{color:#1a7f37}.problem{color:#b42318;font-weight:600}
</style></head><body>
<h1>Stacks cluster “{{.Cluster}}”: {{if .Healthy}}<span class="ok">healthy</span>{{else}}<span class="problem">needs attention</span>{{end}}</h1>
<p>As seen by {{.Node}} at {{.At.Format "2006-01-02 15:04:05 MST"}}. Open conflicts in the whole system: {{.ConflictsOpen}}.</p>
<h2>Central nodes</h2>
<table><tr><th>Node</th><th>State</th><th>Term</th><th>Last index</th><th>Commit</th><th>Applied</th><th>Leader</th><th>Peers</th><th>Problems</th></tr>
{{range .Central}}<tr{{if .Problems}} class="bad"{{end}}><td>{{.ID}}<br><small>{{.URL}}</small></td><td>{{if .Reachable}}{{.State}}{{else}}unreachable{{end}}</td>
<td>{{.Term}}</td><td>{{.LastIndex}}</td><td>{{.CommitIndex}}</td><td>{{.AppliedIndex}}</td><td>{{.LeaderID}}</td><td>{{range $i, $p := .Peers}}{{if $i}}, {{end}}{{$p}}{{end}}</td>
<td class="problem">{{range .Problems}}{{.}}<br>{{end}}</td></tr>
{{end}}</table>
{{with .Compaction}}<h2>Compaction</h2>
<p>Horizon {{.HorizonDays}} days; {{.CompactedOps}} ops compacted here ({{.CompactedBytes}} payload bytes) in {{.Passes}} passes{{if .LastPass}}, the last taking {{.LastPassMillis}} ms{{end}}.</p>
{{if .Excluded}}<p class="problem">Silent past the horizon, no longer holding compaction back: {{range $i, $x := .Excluded}}{{if $i}}, {{end}}<code>{{$x}}</code>{{end}}</p>{{end}}
{{if .Rebootstrap}}<p class="problem">RE-BOOTSTRAP NEEDED (they lack ops compacted away): {{range $i, $x := .Rebootstrap}}{{if $i}}, {{end}}<code>{{$x}}</code>{{end}}</p>{{end}}
{{end}}<h2>Branches</h2>
<table><tr><th>Library</th><th>Node</th><th>Last contact</th><th>Via</th><th>Ops behind</th><th>Open conflicts</th><th>Version</th><th>Problems</th></tr>
{{$now := .At}}{{range .Branches}}<tr{{if .Problems}} class="bad"{{end}}><td>{{.LibraryID}}<br><small>{{.Name}}</small></td><td><code>{{.NodeID}}</code></td>
<td>{{ago .LastContact $now}}</td><td>{{.Via}}</td><td>{{.OpsBehind}}</td><td>{{.ConflictsOpen}}</td><td>{{.Version}}</td>
<td class="problem">{{range .Problems}}{{.}}<br>{{end}}</td></tr>
{{else}}<tr><td colspan="8">No branch is registered yet (PUT /api/v1/cluster/nodes/{node_id}).</td></tr>{{end}}</table>
</body></html>
`))
