package node_test

import (
	"testing"

	"stacks/node/deptest"
)

// The layering of DESIGN.md, one test per package family: what each family
// must never link, and why. The domain (branch) is at the centre and knows
// no HTTP, SIP2, terminals or Raft; replicate is a domain-free library;
// adapters (hardware, the HTTP API, the desk) depend inward; only node
// wires them together; cmd/* call node or a client. A rule that does not
// hold yet names, in Pending, the step that makes it hold.

// check runs each rule as a subtest named by its packages (and the step a
// pending rule waits for is in its skip message).
func check(t *testing.T, rules ...deptest.Rule) {
	t.Helper()
	for _, r := range rules {
		name := r.Packages
		if r.Direct {
			name += "/imports"
		}
		if len(r.Env) > 0 {
			name += "/" + r.Env[0]
		}
		t.Run(name, r.Check)
	}
}

func TestLayeringBranch(t *testing.T) {
	check(t,
		deptest.Rule{Packages: "stacks/branch/...", Forbidden: map[string]string{
			"stacks/node/...":                                "node wires the domain into a process; the domain never depends on its wiring",
			"stacks/hardware/...":                            "SIP2, printers and tags are adapters at the edge that call branch, never the reverse",
			"stacks/tui/...":                                 "the staff desk is a client of the API, at the edge",
			"stacks/simulations/...":                         "the simulations drive the domain from outside; a fault they plant goes through a hook they set",
			"stacks/replicate/peersync":                      "how ops travel between nodes is node's wiring; the domain emits and applies ops",
			"stacks/replicate/central":                       "central's Raft is wired in by node as the log's proposer; the domain does not know it",
			"stacks/replicate/tailnet":                       "transports are chosen by node; the domain does not know them",
			"net/http":                                       "the domain speaks no HTTP: node/httpapi translates requests and error kinds at the edge",
			"github.com/hashicorp/raft":                      "consensus is replicate/central's, and only central nodes run it",
			"github.com/charmbracelet/bubbletea":             "terminals are the desk's",
			"tailscale.com/tsnet":                            "the tailnet is a transport of replicate/tailnet, wired by node",
			"github.com/grandcat/zeroconf":                   "mDNS is hardware/discovery's",
			"github.com/prometheus/client_golang/prometheus": "each node makes its own metrics registry in node; the domain registers nothing globally",
		}},
		deptest.Rule{Packages: "stacks/branch/domain", Env: []string{"CGO_ENABLED=0"}, Forbidden: map[string]string{
			"stacks/branch":               "the plain types are what the desk, the kiosk and the API client import: the service stays behind them",
			"stacks/replicate":            "clients import the plain types; the op log and its store are the appliance's",
			"github.com/mattn/go-sqlite3": "desk and kiosk PCs (often Windows) build without cgo, and they import these types",
		}},
		deptest.Rule{Packages: "stacks/branch/marc", Forbidden: map[string]string{
			"stacks/branch":               "MARC is a file format: importers and tools read it without the domain",
			"stacks/replicate":            "reading MARC needs no op log or store",
			"github.com/mattn/go-sqlite3": "reading MARC links no storage (and builds without cgo)",
		}},
	)
}

func TestLayeringReplicate(t *testing.T) {
	check(t,
		deptest.Rule{Packages: "stacks/replicate/...", Forbidden: map[string]string{
			"stacks/branch/...":      "replicate is a domain-free library, as hashicorp/raft is: it knows ops, clocks, vectors and transports, never patrons or loans",
			"stacks/node/...":        "node wires replicate in, never the reverse",
			"stacks/hardware/...":    "kiosks and printers are the domain's adapters, not replication's",
			"stacks/tui/...":         "the staff desk is a client of the API",
			"stacks/simulations/...": "the simulations run replicate's real code; it never depends on them",
		}},
		deptest.Rule{Packages: "stacks/replicate", Forbidden: map[string]string{
			"net/http":                  "the op log and store know no transport; the sync protocol over HTTP is replicate/peersync",
			"github.com/hashicorp/raft": "a branch's op log links no Raft; consensus is replicate/central's",
			"tailscale.com/tsnet":       "the tailnet is one transport, replicate/tailnet",
		}},
		deptest.Rule{Packages: "stacks/replicate/peersync", Forbidden: map[string]string{
			"tailscale.com/tsnet":       "the syncer takes any Doer; node chooses the tailnet, mutual TLS or plain HTTP",
			"github.com/hashicorp/raft": "sync is the same protocol on branches and central; Raft is central's",
		}},
		deptest.Rule{Packages: "stacks/replicate/tailnet", Forbidden: map[string]string{
			"stacks/replicate": "the tailnet transport carries connections and requests; it knows no op log",
		}},
	)
}

func TestLayeringSimulations(t *testing.T) {
	check(t,
		deptest.Rule{Packages: "stacks/simulations", Forbidden: map[string]string{
			"stacks/node/...":     "the simulations run the domain and replication in one process, without a node's listeners and loops",
			"stacks/hardware/...": "kiosks and printers are outside the simulated library",
			"stacks/tui/...":      "the desk is outside the simulated library",
			"tailscale.com/tsnet": "a tailnet needs real time and a real network; the simulations have a seeded clock and a simulated one",
		}},
		// The central state machine they run holds its HTTP forwarding, so
		// net/http is linked; their own messages go through the simulated
		// network.
		deptest.Rule{Packages: "stacks/simulations", Direct: true, Forbidden: map[string]string{
			"net":      "the simulations' own messages go through the simulated network, where faults are injected",
			"net/http": "the simulations' own messages go through the simulated network, where faults are injected",
		}},
	)
}

func TestLayeringTUI(t *testing.T) {
	check(t,
		deptest.Rule{Packages: "stacks/tui/...", Forbidden: map[string]string{
			"stacks/node":               "the desk is a client of an appliance over the API; it embeds no node",
			"stacks/node/httpapi":       "the desk reads the API through node/client, not the server's code",
			"stacks/hardware/...":       "kiosks and printers are the appliance's; the desk asks the appliance",
			"stacks/replicate/peersync": "the desk does not sync; the appliance it talks to does",
			"stacks/replicate/central":  "the desk does not sync; the appliance it talks to does",
			"stacks/replicate/tailnet":  "the desk reaches the appliance over the network it is on",
			"github.com/hashicorp/raft": "the desk does not sync; the appliance it talks to does",
			"tailscale.com/tsnet":       "the desk reaches the appliance over the network it is on",
		}},
		deptest.Rule{Packages: "stacks/tui/...", Env: []string{"CGO_ENABLED=0"}, Forbidden: map[string]string{
			"github.com/mattn/go-sqlite3": "desk PCs (often Windows) build the desk without cgo: storage is the appliance's",
			"stacks/replicate":            "the op log and its SQLite store are the appliance's; the desk needs only plain types",
		}},
	)
}

func TestLayeringClient(t *testing.T) {
	check(t,
		deptest.Rule{Packages: "stacks/node/client", Forbidden: map[string]string{
			"stacks/node":                        "the client talks to a node over HTTP; it embeds none",
			"stacks/node/httpapi":                "client and server share the API's wire types, not code",
			"stacks/tui/...":                     "every front end uses the client; it knows none of them",
			"github.com/charmbracelet/bubbletea": "every front end uses the client; it knows none of them",
			"stacks/hardware/...":                "the client reaches kiosks and printers only through an appliance",
			"stacks/replicate/peersync":          "the client does not sync",
			"stacks/replicate/central":           "the client does not sync",
			"github.com/hashicorp/raft":          "the client does not sync",
		}},
		deptest.Rule{Packages: "stacks/node/client", Env: []string{"CGO_ENABLED=0"}, Forbidden: map[string]string{
			"github.com/mattn/go-sqlite3": "the desk and the CLI link the client and build without cgo: storage is the appliance's",
			"stacks/replicate":            "the client needs plain types, not the op log",
		}},
	)
}

func TestLayeringHTTPAPI(t *testing.T) {
	check(t,
		deptest.Rule{Packages: "stacks/node/httpapi", Forbidden: map[string]string{
			"stacks/node":         "node wires the API in, never the reverse",
			"stacks/tui/...":      "the desk is a client of the API",
			"stacks/hardware/...": "the HTTP API and SIP2 are two edges; they meet only in branch",
		}},
		deptest.Rule{Packages: "stacks/node/httpapi", Direct: true, Forbidden: map[string]string{
			"stacks/node/client": "the server declares its schema in the shared wire types, not by importing its own client",
		}},
	)
}

func TestLayeringWeb(t *testing.T) {
	check(t,
		deptest.Rule{Packages: "stacks/node/web", Forbidden: map[string]string{
			"stacks/node":                 "node wires the patron web in, never the reverse",
			"stacks/node/httpapi":         "the web and the JSON API are two edges side by side; they meet only in branch",
			"stacks/branch":               "the web declares the Library it needs and gets the service from node: it re-implements no rule and opens no store",
			"stacks/replicate":            "pages read and change state through the domain's commands, never the op log",
			"github.com/mattn/go-sqlite3": "the web links no storage",
			"stacks/tui/...":              "the desk is a client of the API",
			"stacks/hardware/...":         "kiosks and printers are other edges",
		}},
		deptest.Rule{Packages: "stacks/node/branding", Env: []string{"CGO_ENABLED=0"}, Forbidden: map[string]string{
			"stacks/branch":    "the library's look is plain data that the kiosk and receipts may import too",
			"stacks/replicate": "the library's look needs no store",
		}},
	)
}

func TestLayeringHardware(t *testing.T) {
	check(t,
		deptest.Rule{Packages: "stacks/hardware/...", Forbidden: map[string]string{
			"stacks/node/...":                    "hardware adapters are wired in by node and call branch through small interfaces",
			"stacks/tui/...":                     "the desk is a client of the API",
			"github.com/charmbracelet/bubbletea": "terminals are the desk's",
			"stacks/replicate/peersync":          "kiosks, printers and tags are local to a branch; sync is node's",
			"stacks/replicate/central":           "kiosks, printers and tags are local to a branch; central is node's",
			"stacks/replicate/tailnet":           "kiosks, printers and tags are on the branch LAN; the tailnet is for node-to-node sync",
			"github.com/hashicorp/raft":          "kiosks, printers and tags are local to a branch; Raft is central's",
			"tailscale.com/tsnet":                "kiosks, printers and tags are on the branch LAN; the tailnet is for node-to-node sync",
			"net/http":                           "SIP2, ESC/POS and mDNS are their own protocols; HTTP is node/httpapi's",
		}},
		deptest.Rule{Packages: "stacks/hardware/...", Env: []string{"CGO_ENABLED=0"}, Forbidden: map[string]string{
			"github.com/mattn/go-sqlite3": "the kiosk links the SIP2 codec and client: hardware packages ask the service through interfaces they declare, and node hands them *branch.Service",
			"stacks/branch":               "hardware speaks the domain's plain types (branch/domain); node wires the service in",
		}},
		deptest.Rule{Packages: "stacks/hardware/discovery", Forbidden: map[string]string{
			"stacks/branch/...":    "discovery is mDNS alone: a kiosk or desk finds an appliance with it, knowing no domain",
			"stacks/replicate/...": "discovery is mDNS alone: it links no op log or store",
		}},
	)
}

func TestLayeringCmd(t *testing.T) {
	check(t,
		deptest.Rule{Packages: "stacks/cmd/branchd", Forbidden: map[string]string{
			"stacks/tui/...":                     "the appliance serves the desk; it does not contain it",
			"github.com/charmbracelet/bubbletea": "the appliance serves the desk; it does not contain it",
		}},
		deptest.Rule{Packages: "stacks/cmd/branchd", Direct: true, Forbidden: map[string]string{
			"stacks/branch/...":    "branchd parses flags and calls node; the wiring is node's alone",
			"stacks/replicate/...": "branchd parses flags and calls node; the wiring is node's alone",
			"stacks/hardware/...":  "branchd parses flags and calls node; the wiring is node's alone",
		}},
		deptest.Rule{Packages: "stacks/cmd/kiosk", Forbidden: map[string]string{
			"stacks/node/...":           "a kiosk is a SIP2 client of branchd over the wire; it embeds no appliance",
			"stacks/tui/...":            "the kiosk is not the staff desk",
			"stacks/replicate/peersync": "a kiosk does not sync; its appliance does",
			"stacks/replicate/central":  "a kiosk does not sync; its appliance does",
			"stacks/replicate/tailnet":  "a kiosk is on the branch LAN",
			"github.com/hashicorp/raft": "a kiosk does not sync; its appliance does",
			"tailscale.com/tsnet":       "a kiosk is on the branch LAN",
		}},
		deptest.Rule{Packages: "stacks/cmd/stacks", Forbidden: map[string]string{
			"stacks/node":               "the operator CLI drives appliances through their API (node/client); it embeds no node",
			"stacks/node/httpapi":       "the operator CLI is a client of the API, not its server",
			"stacks/hardware/sip2":      "the CLI reaches kiosks through an appliance",
			"stacks/node/printspool":    "the CLI prints through an appliance's spool; it only emulates a printer (printer-emulator)",
			"github.com/hashicorp/raft": "cluster commands go through central's API; the CLI is no Raft member",
		}},
		deptest.Rule{Packages: "stacks/cmd/kiosk", Env: []string{"CGO_ENABLED=0"}, Forbidden: map[string]string{
			"github.com/mattn/go-sqlite3": "kiosk PCs (often Windows) build the kiosk without cgo: storage is the appliance's",
		}},
		deptest.Rule{Packages: "stacks/cmd/stacks", Env: []string{"CGO_ENABLED=0"}, Forbidden: map[string]string{
			"github.com/mattn/go-sqlite3": "staff PCs (often Windows) build the desk and the CLI without cgo: storage is the appliance's",
		}},
	)
}

func TestLayeringNotify(t *testing.T) {
	check(t,
		deptest.Rule{Packages: "stacks/node/notify/...", Forbidden: map[string]string{
			"stacks/node":         "node wires the notice channels in, never the reverse",
			"stacks/node/httpapi": "the channels and the JSON API are two edges side by side",
			"stacks/node/web":     "the channels link to the patron web's pages by URL, not by its code",
			"stacks/tui/...":      "the desk is a client of the API",
			"stacks/hardware/...": "kiosks and printers are other edges",
		}},
		deptest.Rule{Packages: "stacks/node/notify/...", Direct: true, Forbidden: map[string]string{
			"stacks/branch":               "the channels deliver the Messages the engine hands them and turn notices off through the Prefs they declare: they decide nothing",
			"stacks/replicate":            "the channels read and write no op log",
			"github.com/mattn/go-sqlite3": "the channels keep no table: the engine records outcomes",
		}},
	)
}
