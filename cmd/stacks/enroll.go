package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"stacks/replicate/nodecert"
)

func init() {
	clusterCommands["enroll"] = command{name: "enroll", summary: "create the cluster CA (--init-ca) and issue a node's sync certificate", run: runEnroll}
}

// Files of a CA directory.
const (
	caCertFile = "ca.crt"
	caKeyFile  = "ca.key"
)

func runEnroll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flagSet("cluster enroll", stderr)
	initCA := flags.String("init-ca", "", "create a new cluster CA in this directory (ca.crt, ca.key); refuses to overwrite one")
	caName := flags.String("ca-name", "Stacks cluster CA", "common name of a new CA")
	caDir := flags.String("ca", "", "directory of the cluster CA that signs the node certificate (default: --init-ca's)")
	branchID := flags.String("branch", "", "issue a certificate for this branch ID (e.g. EAST)")
	central := flags.String("central", "", "issue a certificate for this central node (e.g. central-1)")
	var hosts []string
	flags.Func("host", "DNS name or IP address peers use to reach the node's --sync-listen (repeatable or comma-separated)", func(s string) error {
		for _, h := range strings.Split(s, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hosts = append(hosts, h)
			}
		}
		return nil
	})
	out := flags.String("out", ".", "directory for the node's certificate, key and a copy of the CA certificate")
	days := flags.Int("days", 825, "validity of the node certificate, in days")
	caYears := flags.Int("ca-years", 10, "validity of a new CA, in years")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: stacks cluster enroll [--init-ca DIR] [--ca DIR] (--branch ID | --central NAME) [--host NAME]... [--out DIR]")
		fmt.Fprintln(stderr, "\nCreates the cluster CA and issues node certificates for sync over mutual TLS (branchd --sync-cert/--sync-key/--sync-ca).")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("enroll takes no arguments, got %q", flags.Args())
	}
	var id nodecert.Identity
	switch {
	case *branchID != "" && *central != "":
		return errors.New("enroll: give --branch or --central, not both")
	case *branchID != "":
		id = nodecert.Identity{Role: nodecert.RoleBranch, Name: *branchID}
	case *central != "":
		id = nodecert.Identity{Role: nodecert.RoleCentral, Name: *central}
	case *initCA == "":
		flags.Usage()
		return errors.New("enroll: nothing to do: give --init-ca, or --branch or --central with --ca")
	}
	if id.Role != "" {
		if err := id.Validate(); err != nil {
			return err
		}
	}
	if *days <= 0 || *caYears <= 0 {
		return errors.New("enroll: validity must be positive")
	}
	now := time.Now()
	if *initCA != "" {
		if *caDir != "" && filepath.Clean(*caDir) != filepath.Clean(*initCA) {
			return errors.New("enroll: --init-ca and --ca name different directories")
		}
		certPEM, keyPEM, err := nodecert.NewCA(*caName, now, time.Duration(*caYears)*365*24*time.Hour)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(*initCA, 0o700); err != nil {
			return err
		}
		// The key first, exclusively: an existing CA is never overwritten.
		if err := writeNew(filepath.Join(*initCA, caKeyFile), keyPEM, 0o600); err != nil {
			return err
		}
		if err := writeNew(filepath.Join(*initCA, caCertFile), certPEM, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created the cluster CA %q in %s (keep %s secret and offline)\n", *caName, *initCA, caKeyFile)
		*caDir = *initCA
	}
	if id.Role == "" {
		return nil
	}
	if *caDir == "" {
		return errors.New("enroll: --ca DIR names the cluster CA that signs the certificate")
	}
	caCert, err := os.ReadFile(filepath.Join(*caDir, caCertFile))
	if err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	caKey, err := os.ReadFile(filepath.Join(*caDir, caKeyFile))
	if err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	certPEM, keyPEM, err := nodecert.Issue(caCert, caKey, id, hosts, now, time.Duration(*days)*24*time.Hour)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	base := filepath.Join(*out, string(id.Role)+"-"+id.Name)
	caCopy := filepath.Join(*out, caCertFile)
	if old, err := os.ReadFile(caCopy); err == nil && !bytes.Equal(old, caCert) {
		return fmt.Errorf("enroll: %s holds another CA's certificate; not overwriting it", caCopy)
	}
	if err := writeNew(base+".key", keyPEM, 0o600); err != nil {
		return err
	}
	if err := writeNew(base+".crt", certPEM, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(caCopy, caCert, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "issued %s for %s", base+".crt", id.URI())
	if len(hosts) > 0 {
		fmt.Fprintf(stdout, " (reachable as %s)", strings.Join(hosts, ", "))
	}
	fmt.Fprintf(stdout, "\nrun the node with: branchd --sync-cert %s --sync-key %s --sync-ca %s --sync-listen ADDR\n", base+".crt", base+".key", caCopy)
	return nil
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, b []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("enroll: %s exists; not overwriting it", path)
	}
	if err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("enroll: %w", err)
	}
	return f.Close()
}
