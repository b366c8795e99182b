package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node/client"
	"stacks/node/nodetest"
)

// TestClusterJoinRemoveRegister drives 'stacks cluster join', 'remove' and
// 'register' against real central nodes.
func TestClusterJoinRemoveRegister(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cluster.key"), []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	c1 := startNode(t, nodetest.CentralConfig(dir, "c1", true))
	c2 := startNode(t, nodetest.CentralConfig(dir, "c2", false))
	u1, u2 := "http://"+c1.Addr(), "http://"+c2.Addr()
	ctx := context.Background()
	var out, errs bytes.Buffer
	poll(t, 60*time.Second, "c2 to join", func() bool {
		out.Reset()
		return run(ctx, []string{"cluster", "join", "--cluster", u1, "--node", u2, "-u", "admin:admin"}, &out, &errs) == nil
	})
	if !strings.Contains(out.String(), "c2 (raft "+c2.RaftAddr()+") joined") {
		t.Fatalf("join said: %s", out.String())
	}
	admin, _ := client.New(client.Config{BaseURL: u1})
	admin = admin.WithLogin("admin", "admin")
	st, err := admin.ClusterStatus(ctx)
	if err != nil || len(st.Central) != 2 {
		t.Fatalf("status after join: %+v %v", st, err)
	}
	// Registering a node for an unknown library is refused with the reason.
	err = run(ctx, []string{"cluster", "register", "--cluster", u2, "--node-id", "00000000000000ab", "--library", "NOWHERE", "-u", "admin:admin"}, &out, &errs)
	if err == nil {
		t.Fatal("registered a node for a library that does not exist")
	}
	if _, err := admin.PutLibrary(ctx, branchLibrary("EAST")); err != nil {
		t.Fatal(err)
	}
	// The library was written through the leader (u1); the follower (u2)
	// checks the registration against its own state, which may lag a
	// moment behind: poll until it has applied the library.
	var regErr error
	poll(t, 30*time.Second, "the follower to register a node for EAST", func() bool {
		out.Reset()
		regErr = run(ctx, []string{"cluster", "register", "--cluster", u2, "--node-id", "00000000000000ab", "--library", "EAST", "-u", "admin:admin"}, &out, &errs)
		return regErr == nil
	})
	out.Reset()
	if err := run(ctx, []string{"cluster", "remove", "--cluster", u1, "c2", "-u", "admin:admin"}, &out, &errs); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if err := run(ctx, []string{"cluster", "remove", "--cluster", u1, "c9", "-u", "admin:admin"}, &out, &errs); err == nil {
		t.Fatal("removed a node that is not a member")
	}
	st, err = admin.ClusterStatus(ctx)
	if err != nil || len(st.Central) != 1 || len(st.Branches) != 1 || st.Branches[0].LibraryID != "EAST" {
		t.Fatalf("status after remove: %+v %v", st, err)
	}
	// A registered branch that never synced makes the cluster unhealthy.
	if err := run(ctx, []string{"status", "--cluster", u1, "-u", "admin:admin"}, &out, &errs); err != errUnhealthy {
		t.Fatalf("status: %v", err)
	}
}

func branchLibrary(id string) domain.Library {
	return domain.Library{BranchID: id, Name: "Branch " + id, InstitutionID: "STACKS"}
}
