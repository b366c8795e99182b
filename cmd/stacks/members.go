package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

func init() {
	clusterCommands["join"] = command{name: "join", summary: "add a central node to the Raft cluster", run: runJoin}
	clusterCommands["remove"] = command{name: "remove", summary: "take a central node out of the Raft cluster", run: runRemove}
	clusterCommands["register"] = command{name: "register", summary: "put a branch appliance into the branch registry", run: runRegister}
}

func runJoin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("cluster join", stderr)
	cluster := fs.String("cluster", os.Getenv("STACKS_CLUSTER"), "base URL of a central node already in the cluster (default $STACKS_CLUSTER)")
	nodeURL := fs.String("node", "", "base URL of the new central node (its id and raft address are read from it)")
	id := fs.String("id", "", "Raft ID of the new node (instead of reading it from --node)")
	raftAddr := fs.String("raft-addr", "", "Raft address of the new node (instead of reading it from --node)")
	login := addLogin(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cluster == "" || *nodeURL == "" {
		return errors.New("join needs --cluster URL (a member) and --node URL (the new node)")
	}
	m := apitype.CentralMember{ID: *id, RaftAddr: *raftAddr, URL: trimURL(*nodeURL)}
	if m.ID == "" || m.RaftAddr == "" {
		// A node about to join has no staff accounts yet: ask its node-to-
		// node API, which says who it is.
		self, err := centralSelf(ctx, m.URL)
		if err != nil {
			return fmt.Errorf("reading the new node's Raft identity (or give --id and --raft-addr): %w", err)
		}
		if m.ID == "" {
			m.ID = self.ID
		}
		if m.RaftAddr == "" {
			m.RaftAddr = self.RaftAddr
		}
	}
	c, err := login.client(*cluster)
	if err != nil {
		return err
	}
	if err := c.JoinMember(ctx, m); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (raft %s) joined the cluster.\n", m.ID, m.RaftAddr)
	return nil
}

// centralSelf reads a central node's own Raft ID and address from its
// node-to-node status.
func centralSelf(ctx context.Context, base string) (apitype.CentralMember, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/central/v1/status", nil)
	if err != nil {
		return apitype.CentralMember{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return apitype.CentralMember{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return apitype.CentralMember{}, fmt.Errorf("%s answered %s (is it a central node?)", base, resp.Status)
	}
	var v struct {
		Raft struct {
			ID    string `json:"id"`
			Peers []struct {
				ID       string `json:"id"`
				RaftAddr string `json:"raft_addr"`
			} `json:"peers"`
			Addr string `json:"raft_addr"`
		} `json:"raft"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&v); err != nil {
		return apitype.CentralMember{}, err
	}
	return apitype.CentralMember{ID: v.Raft.ID, RaftAddr: v.Raft.Addr}, nil
}

func runRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("cluster remove", stderr)
	cluster := fs.String("cluster", os.Getenv("STACKS_CLUSTER"), "base URL of a central node (default $STACKS_CLUSTER)")
	login := addLogin(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var id string
	if fs.NArg() > 0 { // flags may follow the node ID too
		id = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	if *cluster == "" || id == "" || fs.NArg() != 0 {
		return errors.New("usage: stacks cluster remove --cluster URL NODE-ID")
	}
	c, err := login.client(*cluster)
	if err != nil {
		return err
	}
	if err := c.RemoveMember(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s left the cluster.\n", id)
	return nil
}

func runRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("cluster register", stderr)
	cluster := fs.String("cluster", os.Getenv("STACKS_CLUSTER"), "base URL of a central node (default $STACKS_CLUSTER)")
	nodeID := fs.String("node-id", "", "the appliance's node ID (16 hex digits, from its /api/v1/cluster/state or its log)")
	library := fs.String("library", "", "the library (branch ID) it serves; it must be in the registry")
	name := fs.String("name", "", "a name for the appliance")
	retire := fs.Bool("retire", false, "mark the appliance retired (its history stays admitted)")
	login := addLogin(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cluster == "" || *nodeID == "" || *library == "" {
		return errors.New("register needs --cluster URL, --node-id and --library")
	}
	c, err := login.client(*cluster)
	if err != nil {
		return err
	}
	if err := c.RegisterNode(ctx, domain.RegistryNode{NodeID: *nodeID, BranchID: *library, Role: "branch", Name: *name, Retired: *retire}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "node %s registered for %s.\n", *nodeID, *library)
	return nil
}
