package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/node/client"
	"stacks/tui"
)

// runTUI is `stacks tui [--api URL]`: find the appliance (the URL given, or
// mDNS _stacks._tcp, or 127.0.0.1:8080) and run the staff desk on the
// terminal.
func runTUI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("tui", stderr)
	api := fs.String("api", "", "base URL of the branch appliance, e.g. http://10.0.0.2:8080 (default: find it over mDNS, else "+client.FallbackURL+")")
	branchID := fs.String("branch", "", "with mDNS, accept only the appliance of this branch")
	timeout := fs.Duration("discover-timeout", client.DefaultDiscoverTimeout, "how long to look for the appliance over mDNS")
	refresh := fs.Duration("refresh", tui.DefaultRefresh, "how often the status line checks the appliance and its sync")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("tui takes no arguments, got %q", fs.Args())
	}
	if *api != "" {
		u, err := url.Parse(*api)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--api wants an http:// or https:// URL, got %q", *api)
		}
	}
	base, where := *api, "Appliance given with --api."
	if base == "" {
		fmt.Fprintf(stderr, "Looking for the branch appliance over mDNS (%s)…\n", client.ServiceType)
		base, where = client.Locate(ctx, "", client.DiscoverConfig{Timeout: *timeout, Branch: *branchID})
	}
	c, err := client.New(client.Config{BaseURL: trimURL(base), Timeout: 15 * time.Second, Channel: "desk"})
	if err != nil {
		return err
	}
	m, err := tui.New(tui.Config{Client: c, Where: where, Refresh: *refresh})
	if err != nil {
		return err
	}
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx))
	_, err = p.Run()
	if err == tea.ErrProgramKilled && ctx.Err() != nil {
		return nil
	}
	return err
}
