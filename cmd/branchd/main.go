// Command branchd is the Stacks branch appliance: it owns a branch's
// circulation and serves the staff, kiosk and patron API.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"stacks/node"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "branchd:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	if cfg.GoSteadySysmon {
		if env, again := steadySysmonEnv(os.Environ()); again {
			if err := restart(env); err != nil {
				// Not fatal: the runtime's default behaviour.
				fmt.Fprintln(os.Stderr, "branchd: could not start again with a steady sysmon:", err)
			}
		}
	}
	if limit := goMemoryLimit(os.Getenv("GOMEMLIMIT"), cfg.GoMemoryLimit); limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	if pct := goGCPercent(os.Getenv("GOGC"), cfg.GoGCPercent); pct > 0 {
		debug.SetGCPercent(pct)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return node.Run(ctx, cfg)
}

// steadySchedtrace is the schedtrace interval (ms) that keeps sysmon out
// of deep sleep and prints a scheduler line only every 24.8 days.
const steadySchedtrace = "schedtrace=2147483647"

// steadySysmonEnv is the environment to start branchd again with for a
// steady sysmon (node.Config.GoSteadySysmon), and whether it must: not when
// GODEBUG sets schedtrace already (the operator's, or ours after the
// restart).
func steadySysmonEnv(environ []string) ([]string, bool) {
	env := make([]string, 0, len(environ)+1)
	godebug := ""
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			godebug = v
			continue
		}
		env = append(env, kv)
	}
	for _, setting := range strings.Split(godebug, ",") {
		if strings.HasPrefix(setting, "schedtrace=") {
			return environ, false
		}
	}
	if godebug != "" {
		godebug += ","
	}
	return append(env, "GODEBUG="+godebug+steadySchedtrace), true
}

// goMemoryLimit is the soft memory limit branchd sets: none when the
// environment sets GOMEMLIMIT (the runtime read it) or the flag is 0.
func goMemoryLimit(env string, flagBytes int64) int64 {
	if env != "" {
		return 0
	}
	return flagBytes
}

// goGCPercent is the collector's target branchd sets: none when the
// environment sets GOGC (the runtime read it).
func goGCPercent(env string, flagPercent int) int {
	if env != "" {
		return 0
	}
	return flagPercent
}

// parseFlags turns branchd's flags (and environment) into a node config.
func parseFlags(args []string) (node.Config, error) {
	cfg := node.DefaultConfig()
	fs := flag.NewFlagSet("branchd", flag.ContinueOnError)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (database and node identity)")
	fs.StringVar(&cfg.HTTPAddr, "http", cfg.HTTPAddr, "listen address of the HTTP API")
	fs.StringVar(&cfg.Branch, "branch", "", "branch ID this appliance serves (required for a new data dir without --demo)")
	fs.BoolVar(&cfg.Demo, "demo", true, "load the demo library into a new, empty data dir")
	memMiB := fs.Int64("go-memory-limit-mib", 256, "the Go runtime's soft memory limit in MiB (GOMEMLIMIT in the environment wins; 0: none): the collector works harder near it rather than let the heap double")
	fs.BoolVar(&cfg.GoSteadySysmon, "go-steady-sysmon", true, "start again at once with schedtrace in GODEBUG, which keeps the Go runtime's monitor thread from sleeping deeply and waking in bursts (fewer context switches; GODEBUG's own schedtrace wins)")
	fs.IntVar(&cfg.GoGCPercent, "go-gc-percent", 400, "how far (in percent of the live heap) the heap grows between collections, up to the memory limit (GOGC in the environment wins)")
	fs.StringVar(&cfg.Branding.Name, "library-name", "", "the library's name on the patron web (default \"Stacks Public Library\")")
	fs.StringVar(&cfg.Branding.Primary, "brand-primary", "", "the patron web's main colour, #rrggbb")
	fs.StringVar(&cfg.Branding.Accent, "brand-accent", "", "the patron web's accent colour (links, focus), #rrggbb")
	fs.StringVar(&cfg.Branding.LogoFile, "brand-logo", "", "an .svg or .png logo for the patron web")
	fs.StringVar(&cfg.PaymentURL, "payment-url", "", "base URL of the card payment provider for online payments on the patron web (none: not offered)")
	paySecretFile := fs.String("payment-secret-file", "", "file holding the secret shared with the payment provider (or set STACKS_PAYMENT_SECRET)")
	fs.StringVar(&cfg.Notify.SMTPAddr, "smtp", "", "the library's SMTP relay for email notices, HOST:PORT (none: no email)")
	fs.StringVar(&cfg.Notify.MailFrom, "mail-from", "", "sender address of email notices, e.g. library@example.org")
	fs.StringVar(&cfg.Notify.StartTLS, "smtp-starttls", "auto", "auto: STARTTLS when the relay offers it; required: refuse a relay that does not")
	fs.StringVar(&cfg.Notify.SMTPUser, "smtp-user", "", "user for SMTP AUTH PLAIN (when the relay offers it; with --smtp-password-file)")
	smtpPassFile := fs.String("smtp-password-file", "", "file holding the SMTP AUTH password")
	fs.StringVar(&cfg.Notify.SMSWebhook, "sms-webhook", "", "the SMS provider's webhook URL for SMS notices (none: no SMS)")
	smsTokenFile := fs.String("sms-token-file", "", "file holding the bearer token of the SMS webhook")
	fs.StringVar(&cfg.Notify.TemplateDir, "notice-templates", "", "directory of notice templates replacing the built-in ones of the same name (en.text.tmpl, en.html.tmpl, fi.text.tmpl, fi.html.tmpl)")
	fs.StringVar(&cfg.Notify.PublicURL, "public-url", "", "base URL patrons reach this node at, for links in notices (default: http://<--http address>)")
	linkDays := fs.Int("notice-link-days", 90, "days the links in a notice (tracking pixel, links, one-click unsubscribe) work after it is sent")
	tz := fs.String("tz", "", "library time zone, e.g. Europe/London (default: the system's)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	fs.DurationVar(&cfg.HoldSweep, "hold-sweep", time.Hour, "how often to expire uncollected holds")
	fs.DurationVar(&cfg.FeedbackEvery, "feedback-every", 30*24*time.Hour, "invite a patron to a feedback survey at most once per this long")
	fs.IntVar(&cfg.PINCost, "pin-cost", cfg.PINCost, "bcrypt cost of PINs and passwords")
	fs.Func("peer", "base URL of a node to sync with (repeatable), e.g. http://10.0.0.2:8080", func(s string) error {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("want an http:// or https:// URL, got %q", s)
		}
		cfg.Peers = append(cfg.Peers, strings.TrimRight(s, "/"))
		return nil
	})
	fs.Func("central", "node-to-node URL of a central node that grants digital loans (repeatable; default: the peers; none and no peers: this appliance grants them)", func(s string) error {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("want an http:// or https:// URL, got %q", s)
		}
		cfg.CentralURLs = append(cfg.CentralURLs, strings.TrimRight(s, "/"))
		return nil
	})
	fs.Func("trusted-proxy", "a TLS-terminating reverse proxy in front of --http, as a CIDR or an address (repeatable): its X-Forwarded-Proto makes the patron web's cookies Secure and its X-Forwarded-For names the client for login rate limits", func(s string) error {
		p, err := node.ParseTrustedProxy(s)
		if err != nil {
			return err
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p)
		return nil
	})
	fs.DurationVar(&cfg.DigitalSweep, "digital-sweep", cfg.DigitalSweep, "how often to end digital loans past their period")
	fs.BoolVar(&cfg.Compact.Enabled, "compact", false, "compact the op log: delete ops every registered replica holds (their effects stay in the state); on central nodes and branches alike")
	fs.DurationVar(&cfg.Compact.Horizon, "compact-horizon", 30*24*time.Hour, "a replica silent this long no longer holds compaction back (it must re-bootstrap when it returns)")
	fs.DurationVar(&cfg.SyncInterval, "sync-interval", cfg.SyncInterval, "pause between syncs with a healthy peer (jittered)")
	fs.StringVar(&cfg.Bootstrap.From, "bootstrap-from", "", "start a new replica from this peer's snapshot (its sync API URL, as a --peer), then sync the ops after it; needs an empty data dir")
	fs.BoolVar(&cfg.Bootstrap.Force, "bootstrap-force", false, "with --bootstrap-from: replace a data dir that already holds a node (its database and identity are moved to DATA/replaced-TIME)")
	fs.StringVar(&cfg.SyncAddr, "sync-listen", "", "serve the node-to-node sync API here with mutual TLS (needs --sync-cert, --sync-key, --sync-ca)")
	fs.StringVar(&cfg.SyncTLS.CertFile, "sync-cert", "", "PEM certificate of this node for sync")
	fs.StringVar(&cfg.SyncTLS.KeyFile, "sync-key", "", "PEM private key of this node for sync")
	fs.StringVar(&cfg.SyncTLS.CAFile, "sync-ca", "", "PEM CA certificate that signs every node of the cluster")
	fs.StringVar(&cfg.SIP2Addr, "sip2", node.DefaultSIP2Addr, "listen address of the SIP2 server for self-check kiosks: loopback only by default; e.g. :6001 serves kiosks on the LAN (empty: none)")
	fs.StringVar(&cfg.SIP2CertFile, "sip2-cert", "", "PEM certificate: serve SIP2 over TLS (with --sip2-key)")
	fs.StringVar(&cfg.SIP2KeyFile, "sip2-key", "", "PEM private key for SIP2 over TLS")
	fs.StringVar(&cfg.SIP2Currency, "sip2-currency", cfg.SIP2Currency, "ISO 4217 currency of fees shown and paid at kiosks")
	fs.Func("sort-rules", "file of sorting-bin rules for automated returns (SIP2 CL; see README, RFID)", func(path string) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.SortRules, err = node.ParseSortRules(f)
		return err
	})
	fs.Func("sip2-language", "default language of kiosk texts before a patron is known: LANG for every kiosk account, or ACCOUNT=LANG (repeat; en, fi)", func(v string) error {
		account, lang, ok := strings.Cut(v, "=")
		if !ok {
			account, lang = "", v
		}
		if lang == "" {
			return fmt.Errorf("no language in %q", v)
		}
		if cfg.SIP2Languages == nil {
			cfg.SIP2Languages = map[string]string{}
		}
		cfg.SIP2Languages[account] = lang
		return nil
	})
	fs.BoolVar(&cfg.SIP2RequirePIN, "sip2-require-pin", cfg.SIP2RequirePIN, "kiosk transactions need the patron's PIN")
	fs.StringVar(&cfg.ClusterKeyFile, "cluster-key-file", "", "secret that signs session tokens; every node of a cluster must share it (default: DATA/cluster.key, created on first start)")
	fs.Func("mdns-iface", "advertise SIP2 (_sip2._tcp) and the API (_stacks._tcp) with mDNS on this interface (repeatable or comma-separated; * for all)", func(s string) error {
		for _, name := range strings.Split(s, ",") {
			if name = strings.TrimSpace(name); name != "" {
				cfg.MDNSIfaces = append(cfg.MDNSIfaces, name)
			}
		}
		return nil
	})
	fs.BoolVar(&cfg.Tailnet.Enabled, "tailnet", false, "join the library's tailnet: the sync API listens there only, peers are reached over it (SIP2 and the staff API stay on the LAN)")
	fs.StringVar(&cfg.Tailnet.AuthKey, "ts-authkey", "", "tailnet auth key for the first start (default: $TS_AUTHKEY)")
	fs.StringVar(&cfg.Tailnet.ControlURL, "ts-control-url", "", "tailnet control server, e.g. a Headscale URL (default: Tailscale's)")
	fs.StringVar(&cfg.Tailnet.Hostname, "ts-hostname", "", "name on the tailnet (default: stacks-<branch>)")
	fs.Func("ts-tags", "tags a sync caller's tailnet node must carry one of (comma-separated; default tag:stacks-branch,tag:stacks-central)", func(s string) error {
		return appendTags(&cfg.Tailnet.AcceptTags, s)
	})
	fs.Func("ts-advertise-tags", "tags this node asks the tailnet for (comma-separated; a tagged auth key is the usual way)", func(s string) error {
		return appendTags(&cfg.Tailnet.AdvertiseTags, s)
	})
	fs.StringVar(&cfg.Role, "role", node.RoleBranch, "branch (an appliance that lends) or central (a member of the central Raft cluster)")
	fs.StringVar(&cfg.Central.Cluster, "cluster", "stacks", "central: the cluster's name (every central node of a library system must agree)")
	fs.StringVar(&cfg.Central.RaftAddr, "raft", "127.0.0.1:7000", "central: Raft TCP listen address")
	fs.StringVar(&cfg.Central.RaftAdvertise, "raft-advertise", "", "central: Raft address the other central nodes dial (default: the listen address)")
	fs.StringVar(&cfg.Central.RaftID, "raft-id", "", "central: this node's Raft server ID (default central-<node id>)")
	fs.BoolVar(&cfg.Central.Bootstrap, "raft-bootstrap", false, "central: start a new cluster with this node (once, on the first node; the others join with 'stacks cluster join')")
	fs.StringVar(&cfg.Central.AdvertiseURL, "advertise-url", "", "central: this node's API URL as the other nodes and operators reach it (default http://<--http address>)")
	fs.StringVar(&cfg.Central.AdminPassword, "admin-password", "", "central, with --raft-bootstrap: create staff account admin with this password if there is no staff yet (default: $STACKS_ADMIN_PASSWORD)")
	// Receipt printers (node/printing.go).
	var printerFlags []string
	fs.Func("printer", "a receipt printer, [NAME=]tcp://HOST:9100 or [NAME=]file:///dev/usb/lp0 (repeatable or a comma list; the first is the default)", func(s string) error {
		printerFlags = append(printerFlags, s)
		ps, err := node.ParsePrinters(printerFlags)
		cfg.Printing.Printers = ps
		return err
	})
	fs.BoolVar(&cfg.Printing.MDNS, "printer-mdns", false, "also print on the raw-port printers found with mDNS (_pdl-datastream._tcp) on the --mdns interfaces")
	fs.StringVar(&cfg.Printing.CodePage, "printer-codepage", "PC858", "the printers' code page: PC858 or WPC1252")
	fs.StringVar(&cfg.Printing.HoldSlipName, "hold-slip-name", "initials", "how a hold slip names the patron: initials (and the card's last 4 digits), full, or card")
	fs.DurationVar(&cfg.Printing.MaxBackoff, "printer-retry", 30*time.Second, "longest pause between tries of a job while its printer is off or out of paper")
	fs.Func("welcome-slip-from", "the branch's own public terminals, as a CIDR or an address (repeatable): a patron who self-registers on the web from one prints the welcome slip with the card's barcode", func(s string) error {
		p, err := node.ParseTrustedProxy(s)
		if err != nil {
			return err
		}
		cfg.Printing.WelcomeFrom = append(cfg.Printing.WelcomeFrom, p)
		return nil
	})
	fs.DurationVar(&cfg.Printing.Timeout, "printer-timeout", 3*time.Second, "how long a printer has to answer before it counts as offline")
	if err := fs.Parse(args); err != nil {
		return node.Config{}, err
	}
	if *memMiB < 0 {
		return node.Config{}, fmt.Errorf("--go-memory-limit-mib must be 0 or more, not %d", *memMiB)
	}
	cfg.GoMemoryLimit = *memMiB << 20
	if cfg.GoGCPercent < 1 {
		return node.Config{}, fmt.Errorf("--go-gc-percent must be 1 or more, not %d", cfg.GoGCPercent)
	}
	if cfg.Central.AdminPassword == "" {
		cfg.Central.AdminPassword = os.Getenv("STACKS_ADMIN_PASSWORD")
	}
	if cfg.Tailnet.AuthKey == "" {
		cfg.Tailnet.AuthKey = os.Getenv("TS_AUTHKEY")
	}
	cfg.PaymentSecret = os.Getenv("STACKS_PAYMENT_SECRET")
	if *paySecretFile != "" {
		b, err := os.ReadFile(*paySecretFile)
		if err != nil {
			return node.Config{}, fmt.Errorf("payment secret: %w", err)
		}
		cfg.PaymentSecret = strings.TrimSpace(string(b))
	}
	for _, f := range []struct {
		path, what string
		to         *string
	}{{*smtpPassFile, "SMTP password", &cfg.Notify.SMTPPassword}, {*smsTokenFile, "SMS webhook token", &cfg.Notify.SMSToken}} {
		if f.path == "" {
			continue
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return node.Config{}, fmt.Errorf("%s: %w", f.what, err)
		}
		*f.to = strings.TrimSpace(string(b))
	}
	if *linkDays < 1 {
		return node.Config{}, fmt.Errorf("--notice-link-days must be at least 1")
	}
	cfg.Notify.LinkTTL = time.Duration(*linkDays) * 24 * time.Hour
	// The default SIP2 address is taken if it can be; one given explicitly must be.
	cfg.SIP2Optional = true
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "sip2" {
			cfg.SIP2Optional = false
		}
	})
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return node.Config{}, fmt.Errorf("bad --log-level %q", *level)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	if *tz != "" {
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			return node.Config{}, fmt.Errorf("bad --tz: %w", err)
		}
		cfg.Location = loc
	}
	return cfg, nil
}

// appendTags adds the comma-separated tailnet tags in s to *tags.
func appendTags(tags *[]string, s string) error {
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !strings.HasPrefix(t, "tag:") {
			return fmt.Errorf("tailnet tags start with \"tag:\", got %q", t)
		}
		*tags = append(*tags, t)
	}
	return nil
}
