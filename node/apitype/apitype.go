// Package apitype declares the JSON shapes of a node's HTTP API (/api/v1)
// that are the API's own: problems, logins, circulation answers, cluster
// health, paging. The server (node/httpapi) writes them and the client
// (node/client) reads them, so the two cannot drift apart. Domain records
// (patrons, items, loans...) travel as branch/domain's plain types.
//
// apitype must stay cheap to import: it imports only the standard library,
// replicate/syncstate and branch/domain, none of which links storage
// (apitype_test.go keeps it so).
package apitype

// Paging, as Koha's API does it: _page from 1, _per_page up to
// MaxPerPage; the whole list's length is in the X-Total-Count header.
const (
	ParamPage        = "_page"
	ParamPerPage     = "_per_page"
	HeaderTotalCount = "X-Total-Count"
	DefaultPerPage   = 20
	MaxPerPage       = 1000
)

// HeaderChannel names the channel a client acts on (desk, kiosk, ...).
const HeaderChannel = "X-Stacks-Channel"

// Health is the answer of /healthz.
type Health struct {
	Status string `json:"status"`
}
