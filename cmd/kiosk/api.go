package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"stacks/hardware/discovery"
)

// apiBase is the appliance's HTTP API that the kiosk's help requests
// (help.go) and end-of-session survey (feedback.go) use. SIP2 has no
// message for either, and an extension of our own would be understood by
// our ACS only, so the kiosk speaks to branchd's JSON API for them with
// its kiosk account: --api URL, or, when the kiosk found its ACS by mDNS,
// the same branch's _stacks._tcp advert; "" (help is at the desk, no
// survey) when there is neither.
func apiBase(ctx context.Context, o options, out io.Writer) string {
	base := strings.TrimRight(o.api, "/")
	if base != "" || o.acs != "" {
		return base
	}
	dctx, cancel := context.WithTimeout(ctx, o.discoverTimeout)
	defer cancel()
	ifaces, err := discovery.Interfaces(ifaceList(o))
	if err == nil {
		var f discovery.Found
		if f, err = discovery.Find(dctx, ifaces, discovery.StacksService, o.branch); err == nil {
			scheme := "http"
			if f.Info.TLS {
				scheme = "https"
			}
			base = scheme + "://" + f.Addr()
		}
	}
	if err != nil {
		fmt.Fprintf(out, "help requests and the survey unavailable: no _stacks._tcp advert found (%v)\n", err)
		return ""
	}
	fmt.Fprintf(out, "help requests through %s\n", base)
	return base
}
