package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"stacks/node/client"
)

func init() {
	commands["export"] = command{name: "export", summary: "everything held about a patron, as JSON (GDPR articles 15 and 20)", run: runExport}
	commands["forget"] = command{name: "forget", summary: "erase a patron everywhere (GDPR article 17); a supervisor's, with a reason", run: runForget}
}

// patronFlags name a patron by ID or card number on a node.
type patronFlags struct{ node, id, card *string }

func addPatron(fs interface {
	String(name, value, usage string) *string
}) patronFlags {
	return patronFlags{
		node: fs.String("node", os.Getenv("STACKS_NODE"), "base URL of a branchd (default $STACKS_NODE)"),
		id:   fs.String("patron", "", "the patron's ID"),
		card: fs.String("card", "", "the patron's card number (instead of -patron)"),
	}
}

// resolve returns the patron's ID.
func (p patronFlags) resolve(ctx context.Context, c *client.Client) (string, error) {
	switch {
	case *p.id != "":
		return *p.id, nil
	case *p.card != "":
		pt, err := c.PatronByCard(ctx, *p.card)
		if err != nil {
			return "", err
		}
		return pt.PatronID, nil
	}
	return "", errors.New("name the patron with -patron ID or -card NUMBER")
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("export", stderr)
	login, who := addLogin(fs), addPatron(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *who.node == "" {
		return errors.New("-node is required")
	}
	c, err := login.client(*who.node)
	if err != nil {
		return err
	}
	id, err := who.resolve(ctx, c)
	if err != nil {
		return err
	}
	b, err := c.ExportPatron(ctx, id)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}

func runForget(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("forget", stderr)
	login, who := addLogin(fs), addPatron(fs)
	reason := fs.String("reason", "", "why the patron is erased (required), e.g. \"GDPR request of 2026-12-04\"")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *who.node == "":
		return errors.New("-node is required")
	case strings.TrimSpace(*reason) == "":
		return errors.New("-reason is required")
	}
	c, err := login.client(*who.node)
	if err != nil {
		return err
	}
	id, err := who.resolve(ctx, c)
	if err != nil {
		return err
	}
	e, err := c.ErasePatron(ctx, id, *reason)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "patron %s erased at %s; every node erases them when the op reaches it\n", e.PatronID, e.ErasedAt)
	return err
}
