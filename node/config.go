// Package node wires a Stacks node together: configuration, the store, the
// domain service, the HTTP API, background loops and graceful shutdown. It
// is the one package that may import every other.
package node

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"tailscale.com/ipn"

	"stacks/branch/notices"
	"stacks/hardware/sortbin"
	"stacks/node/branding"
	"stacks/node/notify"
	"stacks/node/payments"
	"stacks/replicate/clock"
	"stacks/replicate/peersync"
)

// Config is a node's configuration. Flags and files are parsed in cmd/.
type Config struct {
	DataDir  string // database and identity live here
	HTTPAddr string // staff/patron API listen address
	// Branch is the branch this appliance serves. On a new data dir it is
	// stored in the identity; later starts must agree or leave it empty.
	Branch string
	// Demo loads the demo library into a new, empty data dir.
	Demo     bool
	Location *time.Location
	// Clock tells the time and makes the timers of the background loops
	// (hold sweeper, WAL checkpointer, sync loops, central bootstrap).
	Clock  clock.Clock
	Rand   io.Reader
	Logger *slog.Logger
	// HoldSweep is how often expired hold-shelf items are swept.
	HoldSweep time.Duration
	// FeedbackEvery is the least time between two survey invitations of
	// one patron; 0 means 30 days (branch/feedback).
	FeedbackEvery time.Duration
	// ShutdownTimeout bounds a graceful shutdown.
	ShutdownTimeout time.Duration
	// PINCost is the bcrypt cost of PINs and passwords.
	PINCost int
	// Peers are the base URLs of the nodes this one syncs with.
	Peers []string
	// CentralURLs are the central nodes' node-to-node API URLs, which a
	// branch asks for digital loans; empty means its Peers. A branch with
	// neither is standalone and grants digital loans itself.
	CentralURLs []string
	// DigitalSweep is how often digital loans past their period are ended
	// (on a standalone appliance and on central's leader).
	DigitalSweep time.Duration
	// NoticeSender delivers notices (node/notify: email, SMS); nil means
	// this node sends none: it keeps, lists and replicates the notices'
	// records and overdue rules, and nodes with a sender send them.
	NoticeSender notices.Sender
	// NoticeInterval is how often the notice triggers are evaluated (a
	// minute).
	NoticeInterval time.Duration
	// SyncInterval is the pause between syncs with a healthy peer.
	SyncInterval time.Duration
	// SyncTransport carries sync requests; nil means plain HTTP, or HTTPS
	// with mutual TLS when SyncTLS is set.
	SyncTransport peersync.Doer
	// SyncTLS, when set, serves the node-to-node sync API on SyncAddr with
	// mutual TLS (and not on the HTTP API's listener), and syncs with peers
	// over HTTPS presenting this node's certificate.
	SyncTLS  peersync.TLSFiles
	SyncAddr string

	// SIP2Addr is where the SIP2 ACS listens for self-check kiosks; empty
	// means no SIP2 server.
	SIP2Addr string
	// SIP2Optional makes a failure to listen on SIP2Addr a logged error
	// instead of a fatal one (for the default address, which another
	// appliance on the same host may hold).
	SIP2Optional bool
	// SIP2CertFile and SIP2KeyFile, when set, serve SIP2 over TLS.
	SIP2CertFile, SIP2KeyFile string
	// SIP2Currency is the ISO 4217 currency of fees sent to kiosks.
	SIP2Currency string
	// SIP2RequirePIN refuses kiosk transactions without the patron's PIN.
	SIP2RequirePIN bool
	// SIP2Languages are the kiosk accounts' default languages (the key ""
	// for every other account): what the ACS speaks to a kiosk that names
	// no language before a patron is known (sip2.Config.Languages).
	SIP2Languages map[string]string
	// SortRules pick the sorting bin (SIP2 CL) of a checked-in item for
	// automated returns (hardware/sortbin); none: bin by action alone.
	SortRules sortbin.Rules
	// MDNSIfaces are the network interfaces on which the SIP2 ACS and the
	// HTTP API are advertised with mDNS ("*" for all); none means no mDNS.
	MDNSIfaces []string
	// ClusterKeyFile holds the secret that signs staff and patron session
	// tokens. Every node of a cluster must share it, so that a token from
	// one is valid on all. Empty means DataDir/cluster.key, generated on
	// the first start (copy it to the other nodes).
	ClusterKeyFile string

	// Branding is the library's name, colours and logo as patrons see
	// them (the patron web); unset fields take branding.Default's.
	Branding branding.Branding

	// PaymentURL is the card payment provider's base URL (it speaks the
	// protocol of package payments) and PaymentSecret the secret it
	// shares with the library. Empty: online payment is not offered.
	PaymentURL    string
	PaymentSecret string

	// Notify is the notice channels: the SMTP relay, the SMS webhook, the
	// templates and the public URL of links in notices (node fills in the
	// cluster key, branding, currency, clock and logger). Print is always
	// there; email and SMS when configured.
	Notify notify.Config

	// NoticeClaimLease is how long a notice claimed by a node that sends
	// nothing holds before another node takes it over (0: 30 minutes).
	NoticeClaimLease time.Duration

	// TrustedProxies are reverse proxies in front of the HTTP listener
	// that terminate TLS: from them the patron web believes
	// X-Forwarded-Proto (https: Secure cookies) and X-Forwarded-For (the
	// client's address for login rate limits). None: the headers are
	// ignored.
	TrustedProxies []netip.Prefix

	// GoMemoryLimit is the Go runtime's soft memory limit in bytes that
	// branchd sets (runtime/debug.SetMemoryLimit) unless GOMEMLIMIT is in
	// its environment; 0 sets none. Without one the collector lets the
	// heap grow to twice what is live, which with a million titles in the
	// search index passes 400 MB resident.
	GoMemoryLimit int64

	// GoGCPercent is the collector's target (runtime/debug.SetGCPercent)
	// that branchd sets unless GOGC is in its environment: the heap grows
	// this many percent of what is live between collections, and never
	// past GoMemoryLimit. Go's default, 100, collected a central node's
	// 5 MB heap ten times a second under writes, 6 % of its CPU; at 400 it
	// is a quarter of that (BENCHMARKS, issue 21 session 18), and a heap
	// as large as a million-title branch's is held by the memory limit as
	// before.
	GoGCPercent int

	// GoSteadySysmon: branchd starts itself again at once with
	// schedtrace set in GODEBUG (unless GODEBUG sets it already), for
	// the side effect that the runtime's monitor thread (sysmon) then
	// never sleeps deeply. Asleep, it is woken by the first system call
	// after the process was idle and then polls every 20 µs for a
	// millisecond or more: at one write in flight it made a quarter of a
	// central cluster's system calls and about a tenth of the leader's
	// CPU in context switches (BENCHMARKS, issue 21 session 19). Kept
	// awake it backs off to a wake-up every 10 ms while nothing happens.
	// The trace's interval is 2^31-1 ms (24.8 days), so the runtime prints
	// one scheduler line to stderr that often, and at start on a machine
	// up longer than that.
	GoSteadySysmon bool

	// Role is RoleBranch (the default, "" too) or RoleCentral: a member of
	// the central Raft cluster, configured by Central.
	Role    string
	Central CentralConfig

	// Tailnet, when enabled, puts the node-to-node sync API (and the
	// central Raft transport) on the library's tailnet only; SIP2 and the
	// staff API stay on the LAN listeners.
	Tailnet TailnetConfig

	// Printing is the branch's receipt printers (printing.go).
	Printing PrintingConfig

	// Compact folds away ops every registered replica holds
	// (compaction.go); off unless enabled.
	Compact CompactConfig
	// Bootstrap, when From is set, starts a new replica from a peer's
	// snapshot (snapshots.go).
	Bootstrap BootstrapConfig
}

// TailnetConfig is how a node joins the library's tailnet (tsnet; state in
// DataDir/tailnet).
type TailnetConfig struct {
	Enabled bool
	// AuthKey logs the node in on its first start (TS_AUTHKEY in cmd/).
	AuthKey string
	// ControlURL is a self-hosted control server (Headscale); empty means
	// Tailscale's.
	ControlURL string
	// Hostname on the tailnet; empty means "stacks-" and the branch ID in
	// lower case.
	Hostname string
	// AdvertiseTags are tags the node asks for (a tagged auth key is the
	// usual way to get them).
	AdvertiseTags []string
	// AcceptTags: sync callers must carry one (default tag:stacks-branch,
	// tag:stacks-central).
	AcceptTags []string
	// StreamTags: callers of the central Raft transport must carry one
	// (default tag:stacks-central).
	StreamTags []string
	// SyncPort serves the sync API on the tailnet (default 80, so peers
	// are http://<hostname>); StreamPort the Raft transport (default 7400).
	SyncPort, StreamPort int
	// Ephemeral and Store are for tests: a node control forgets, with its
	// state in memory.
	Ephemeral bool
	Store     ipn.StateStore
}

// DefaultSIP2Addr is where branchd serves SIP2 unless told otherwise:
// loopback only, since the demo's kiosk login is public. Kiosks on the LAN
// need an address given on purpose (e.g. ":6001").
const DefaultSIP2Addr = "127.0.0.1:6001"

// DefaultConfig is the embedded default: ./data, 127.0.0.1:8080, demo data.
func DefaultConfig() Config {
	return Config{
		DataDir:         "./data",
		HTTPAddr:        "127.0.0.1:8080",
		Demo:            true,
		Location:        time.Local,
		Clock:           clock.System{},
		Logger:          slog.New(slog.DiscardHandler),
		HoldSweep:       time.Hour,
		DigitalSweep:    10 * time.Minute,
		NoticeInterval:  time.Minute,
		ShutdownTimeout: 10 * time.Second,
		PINCost:         10,
		SyncInterval:    2 * time.Second,
		SIP2Currency:    "USD",
		SIP2RequirePIN:  true,
	}
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	switch {
	case c.DataDir == "":
		return errors.New("node: no data dir")
	case c.HTTPAddr == "":
		return errors.New("node: no HTTP address")
	case c.Location == nil:
		return errors.New("node: no time zone")
	case c.Clock == nil:
		return errors.New("node: no clock")
	case c.HoldSweep <= 0:
		return errors.New("node: hold sweep interval must be positive")
	case c.DigitalSweep <= 0:
		return errors.New("node: digital loan sweep interval must be positive")
	case c.NoticeSender != nil && c.NoticeInterval <= 0:
		return errors.New("node: the notice interval must be positive")
	case c.SyncTLS.Enabled() && c.SyncAddr == "":
		return errors.New("node: mutual TLS for sync needs a sync listen address")
	case (c.SIP2CertFile == "") != (c.SIP2KeyFile == ""):
		return errors.New("node: SIP2 over TLS needs both a certificate and a key")
	case len(c.MDNSIfaces) > 0 && c.SIP2Addr == "":
		return errors.New("node: mDNS advertises the SIP2 server, which is off")
	case c.Branding.Validate() != nil:
		return c.Branding.Validate()
	case (c.PaymentURL != "" || c.PaymentSecret != "") && c.paymentsConfig().Validate() != nil:
		return fmt.Errorf("node: online payments: %w", c.paymentsConfig().Validate())
	case c.Notify.Validate() != nil:
		return c.Notify.Validate()
	case c.Compact.Horizon < 0 || c.Compact.Every < 0 || c.Compact.Batch < 0:
		return errors.New("node: compaction horizon, interval and batch must not be negative")
	case c.Role != "" && c.Role != RoleBranch && c.Role != RoleCentral:
		return fmt.Errorf("node: role %q: want branch or central", c.Role)
	case c.Bootstrap.From != "" && c.Role == RoleCentral:
		return errors.New("node: a central node starts empty and is joined by Raft (stacks cluster join), not bootstrapped from a snapshot")
	case c.Bootstrap.From != "" && c.Tailnet.Enabled:
		return errors.New("node: bootstrapping over the tailnet is not supported yet: bootstrap over mutual TLS or plain HTTP, then start with --tailnet")
	case c.Tailnet.Enabled && c.SyncTLS.Enabled():
		return errors.New("node: sync runs over the tailnet or over mutual TLS, not both")
	case c.Tailnet.SyncPort < 0 || c.Tailnet.SyncPort > 65535 || c.Tailnet.StreamPort < 0 || c.Tailnet.StreamPort > 65535:
		return errors.New("node: tailnet ports must be 1-65535")
	case c.Tailnet.Enabled && c.Tailnet.withDefaults().SyncPort == c.Tailnet.withDefaults().StreamPort:
		return errors.New("node: the tailnet sync and stream ports must differ")
	}
	return nil
}

func (c Config) paymentsConfig() payments.Config {
	return payments.Config{URL: c.PaymentURL, Secret: c.PaymentSecret}
}

// ParseTrustedProxy reads a trusted proxy: a CIDR (10.0.0.0/8) or one
// address (10.0.0.5, as /32; ::1 as /128).
func ParseTrustedProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("want a CIDR such as 10.0.0.0/8 or an address, got %q", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
