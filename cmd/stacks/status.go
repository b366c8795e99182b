package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"stacks/node/apitype"
	"stacks/node/client"
)

func init() {
	commands["status"] = command{name: "status", summary: "cluster health: every central node and every branch, with problems marked", run: runStatus}
}

// errUnhealthy makes 'stacks status' exit non-zero when anything needs
// attention, so that it can drive a monitoring check.
var errUnhealthy = errors.New("the cluster needs attention")

// loginFlags are the staff credentials of commands that call the API.
type loginFlags struct{ user, token *string }

func addLogin(fs interface {
	String(name, value, usage string) *string
}) loginFlags {
	return loginFlags{
		user:  fs.String("u", os.Getenv("STACKS_USER"), "staff login as user:password (default $STACKS_USER)"),
		token: fs.String("token", os.Getenv("STACKS_TOKEN"), "session token instead of -u (default $STACKS_TOKEN)"),
	}
}

// client returns an API client for base with these credentials.
func (l loginFlags) client(base string) (*client.Client, error) {
	c, err := client.New(client.Config{BaseURL: trimURL(base), Timeout: 15 * time.Second})
	if err != nil {
		return nil, err
	}
	switch {
	case *l.token != "":
		return c.WithToken(*l.token), nil
	case *l.user != "":
		u, p, ok := strings.Cut(*l.user, ":")
		if !ok {
			return nil, errors.New("-u wants user:password")
		}
		return c.WithLogin(u, p), nil
	}
	return c, nil
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("status", stderr)
	cluster := fs.String("cluster", os.Getenv("STACKS_CLUSTER"), "base URL of any central node (default $STACKS_CLUSTER)")
	asJSON := fs.Bool("json", false, "print the status as JSON")
	login := addLogin(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cluster == "" {
		return errors.New("status needs --cluster URL of a central node")
	}
	c, err := login.client(*cluster)
	if err != nil {
		return err
	}
	st, err := c.ClusterStatus(ctx)
	if err != nil {
		return fmt.Errorf("cluster status from %s: %w", *cluster, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			return err
		}
	} else {
		renderStatus(stdout, st)
	}
	if !st.Healthy {
		return errUnhealthy
	}
	return nil
}

// renderStatus prints a status for people: a verdict, then a table of
// central nodes and one of branches, each row marked ok or PROBLEM with
// the problems spelled out beneath.
func renderStatus(w io.Writer, st *apitype.ClusterStatus) {
	verdict := "healthy"
	if !st.Healthy {
		verdict = "NEEDS ATTENTION"
	}
	fmt.Fprintf(w, "Cluster %q: %s\n", st.Cluster, verdict)
	fmt.Fprintf(w, "As seen by %s at %s. Open conflicts in the system: %d.\n\n", st.Node, st.At.UTC().Format("2006-01-02 15:04:05 MST"), st.ConflictsOpen)

	fmt.Fprintln(w, "CENTRAL NODES")
	rows := [][]string{{"", "NODE", "STATE", "TERM", "LAST", "COMMIT", "APPLIED", "LEADER", "URL"}}
	notes := [][]string{nil}
	for _, cn := range st.Central {
		if !cn.Reachable {
			rows = append(rows, []string{mark(cn.Problems), cn.ID, "unreachable", "-", "-", "-", "-", "-", cn.URL})
		} else {
			rows = append(rows, []string{mark(cn.Problems), cn.ID, cn.State, fmt.Sprint(cn.Term), fmt.Sprint(cn.LastIndex),
				fmt.Sprint(cn.CommitIndex), fmt.Sprint(cn.AppliedIndex), dash(cn.LeaderID), cn.URL})
		}
		notes = append(notes, cn.Problems)
	}
	table(w, rows, notes)

	if c := st.Compaction; c != nil {
		fmt.Fprintf(w, "\nCOMPACTION: horizon %g days, %d ops compacted here (%d payload bytes) in %d passes", c.HorizonDays, c.CompactedOps, c.CompactedBytes, c.Passes)
		if c.LastPass != nil {
			fmt.Fprintf(w, ", last %s ago (%.1f ms)", st.At.Sub(*c.LastPass).Round(time.Second), c.LastPassMillis)
		}
		fmt.Fprintln(w)
		if len(c.Excluded) > 0 {
			fmt.Fprintf(w, "  ! silent past the horizon, no longer holding compaction back: %s\n", strings.Join(c.Excluded, ", "))
		}
		if len(c.Rebootstrap) > 0 {
			fmt.Fprintf(w, "  ! RE-BOOTSTRAP NEEDED (they lack ops compacted away): %s\n", strings.Join(c.Rebootstrap, ", "))
		}
	}

	fmt.Fprintln(w, "\nBRANCHES")
	if len(st.Branches) == 0 {
		fmt.Fprintln(w, "  none registered (register one: stacks cluster register)")
		return
	}
	rows = [][]string{{"", "LIBRARY", "NODE", "LAST CONTACT", "VIA", "BEHIND", "CONFLICTS", "VERSION"}}
	notes = [][]string{nil}
	for _, b := range st.Branches {
		last := "never"
		if b.LastContact != nil {
			last = st.At.Sub(*b.LastContact).Round(time.Second).String() + " ago"
		}
		lib := b.LibraryID
		if b.Retired {
			lib += " (retired)"
		}
		rows = append(rows, []string{mark(b.Problems), lib, b.NodeID, last, dash(b.Via), fmt.Sprint(b.OpsBehind), fmt.Sprint(b.ConflictsOpen), dash(b.Version)})
		notes = append(notes, b.Problems)
	}
	table(w, rows, notes)
}

// table prints aligned rows, each followed by its notes ("! ...") on lines
// of their own that do not widen the columns.
func table(w io.Writer, rows [][]string, notes [][]string) {
	var buf strings.Builder
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	for i, l := range lines {
		fmt.Fprintln(w, strings.TrimRight(l, " "))
		for _, n := range notes[i] {
			fmt.Fprintf(w, "           ! %s\n", n)
		}
	}
}

func mark(problems []string) string {
	if len(problems) > 0 {
		return "PROBLEM"
	}
	return "ok"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
