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
	cfg := node.DefaultConfig()
	fs := flag.NewFlagSet("branchd", flag.ContinueOnError)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (database and node identity)")
	fs.StringVar(&cfg.HTTPAddr, "http", cfg.HTTPAddr, "listen address of the HTTP API")
	fs.StringVar(&cfg.Branch, "branch", "", "branch ID this appliance serves (required for a new data dir without --demo)")
	fs.BoolVar(&cfg.Demo, "demo", true, "load the demo library into a new, empty data dir")
	tz := fs.String("tz", "", "library time zone, e.g. Europe/London (default: the system's)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	fs.DurationVar(&cfg.HoldSweep, "hold-sweep", time.Hour, "how often to expire uncollected holds")
	fs.IntVar(&cfg.PINCost, "pin-cost", cfg.PINCost, "bcrypt cost of PINs and passwords")
	fs.Func("peer", "base URL of a node to sync with (repeatable), e.g. http://10.0.0.2:8080", func(s string) error {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("want an http:// or https:// URL, got %q", s)
		}
		cfg.Peers = append(cfg.Peers, strings.TrimRight(s, "/"))
		return nil
	})
	fs.DurationVar(&cfg.SyncInterval, "sync-interval", cfg.SyncInterval, "pause between syncs with a healthy peer (jittered)")
	fs.StringVar(&cfg.SyncAddr, "sync-listen", "", "serve the node-to-node sync API here with mutual TLS (needs --sync-cert, --sync-key, --sync-ca)")
	fs.StringVar(&cfg.SyncTLS.CertFile, "sync-cert", "", "PEM certificate of this node for sync")
	fs.StringVar(&cfg.SyncTLS.KeyFile, "sync-key", "", "PEM private key of this node for sync")
	fs.StringVar(&cfg.SyncTLS.CAFile, "sync-ca", "", "PEM CA certificate that signs every node of the cluster")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("bad --log-level %q", *level)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	if *tz != "" {
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			return fmt.Errorf("bad --tz: %w", err)
		}
		cfg.Location = loc
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return node.Run(ctx, cfg)
}
