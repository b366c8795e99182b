package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/node/client"
)

func init() {
	commands["demo-cluster"] = command{name: "demo-cluster", summary: "run a whole library system on this machine: a Raft central site and branches", run: runDemoCluster}
}

// demoLibraries are the branches a demo cluster registers, in order; the
// first one carries the demo library's data.
var demoLibraries = []struct{ id, name, address string }{
	{"MAIN", "Central Library", "1 Library Square"},
	{"EAST", "Eastside Branch", "42 Harbour Road"},
	{"WEST", "Westfield Branch", "7 Orchard Lane"},
	{"NORTH", "Northgate Branch", "300 Mill Street"},
}

// ClusterNode is one process of a demo cluster, as written to cluster.json.
type ClusterNode struct {
	ID      string   `json:"id"`
	Role    string   `json:"role"`
	URL     string   `json:"url"`
	PID     int      `json:"pid"`
	Library string   `json:"library_id,omitempty"`
	NodeID  string   `json:"node_id,omitempty"`
	Raft    string   `json:"raft_addr,omitempty"`
	SIP2    string   `json:"sip2_addr,omitempty"`
	DataDir string   `json:"data_dir"`
	Log     string   `json:"log"`
	Args    []string `json:"args"` // how to start it again
}

// ClusterFile is DIR/cluster.json.
type ClusterFile struct {
	Branchd string        `json:"branchd"`
	Admin   string        `json:"admin"` // user:password of the demo's staff admin
	Nodes   []ClusterNode `json:"nodes"`
}

type demoCluster struct {
	dir, branchd string
	syncEvery    time.Duration
	out          io.Writer
	mu           sync.Mutex
	procs        []*exec.Cmd
	file         ClusterFile
}

func runDemoCluster(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("demo-cluster", stderr)
	nCentral := fs.Int("central", 3, "central nodes (Raft voters)")
	nBranches := fs.Int("branches", 3, "branch appliances (the first one with the demo library's data)")
	dir := fs.String("dir", "", "directory for every node's data, logs and cluster.json (required)")
	branchd := fs.String("branchd", "", "path of the branchd binary (default: next to this stacks binary, else on $PATH)")
	syncEvery := fs.Duration("sync-interval", time.Second, "branches' pause between syncs with central")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *dir == "":
		return errors.New("demo-cluster needs --dir DIR")
	case *nCentral < 1 || *nBranches < 0:
		return errors.New("demo-cluster needs at least one central node")
	}
	bin, err := findBranchd(*branchd)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o750); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &demoCluster{dir: *dir, branchd: bin, syncEvery: *syncEvery, out: stdout, file: ClusterFile{Branchd: bin, Admin: "admin:admin"}}
	defer d.stopAll()
	if err := d.start(ctx, *nCentral, *nBranches); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nThe library system is up (%s). Try:\n", filepath.Join(*dir, "cluster.json"))
	fmt.Fprintf(stdout, "  stacks status --cluster %s -u admin:admin\n", d.file.Nodes[0].URL)
	fmt.Fprintf(stdout, "  open %s/status in a browser (admin / admin)\n", d.file.Nodes[0].URL)
	for _, n := range d.file.Nodes {
		if n.Role == "branch" {
			fmt.Fprintf(stdout, "  stacks tui --api %s   (branch %s; staff admin/admin, super/super, clerk/clerk)\n", n.URL, n.Library)
			break
		}
	}
	fmt.Fprintln(stdout, "Ctrl-C stops every node.")
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping the library system…")
	return nil
}

// findBranchd locates the branchd binary.
func findBranchd(given string) (string, error) {
	if given != "" {
		return filepath.Abs(given)
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "branchd")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("branchd"); err == nil {
		return p, nil
	}
	return "", errors.New("cannot find branchd: give --branchd PATH (go build -o branchd ./cmd/branchd)")
}

// freeAddr picks a free loopback TCP address.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (d *demoCluster) start(ctx context.Context, nCentral, nBranches int) error {
	key := filepath.Join(d.dir, "cluster.key")
	if _, err := os.Stat(key); errors.Is(err, os.ErrNotExist) {
		b := make([]byte, 32)
		rand.Read(b)
		if err := os.WriteFile(key, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
			return err
		}
	}
	// The central cluster: the first node bootstraps it, the others join.
	var first string
	for i := 1; i <= nCentral; i++ {
		id := fmt.Sprintf("central-%d", i)
		httpAddr, err := freeAddr()
		if err != nil {
			return err
		}
		raftAddr, err := freeAddr()
		if err != nil {
			return err
		}
		url := "http://" + httpAddr
		args := []string{"--role", "central", "--data", filepath.Join(d.dir, id), "--http", httpAddr, "--raft", raftAddr,
			"--raft-id", id, "--cluster-key-file", key, "--sip2", ""}
		if i == 1 {
			args = append(args, "--raft-bootstrap", "--admin-password", "admin")
		}
		n := ClusterNode{ID: id, Role: "central", URL: url, Raft: raftAddr, DataDir: filepath.Join(d.dir, id), Args: args}
		if err := d.spawn(&n); err != nil {
			return err
		}
		if err := waitHealthy(ctx, url); err != nil {
			return fmt.Errorf("%s: %w (see %s)", id, err, n.Log)
		}
		admin := d.admin(url)
		if i == 1 {
			first = url
			if err := waitFor(ctx, 60*time.Second, func() error {
				ri, err := admin.Raft(ctx)
				if err == nil && ri.State != "leader" {
					err = errors.New("not leader yet")
				}
				return err
			}); err != nil {
				return fmt.Errorf("%s did not become leader: %w", id, err)
			}
		} else {
			m := apitype.CentralMember{ID: id, RaftAddr: raftAddr, URL: url}
			if err := waitFor(ctx, 60*time.Second, func() error { return d.admin(first).JoinMember(ctx, m) }); err != nil {
				return fmt.Errorf("%s could not join: %w", id, err)
			}
		}
		fmt.Fprintf(d.out, "central %-10s %s (raft %s)\n", id, url, raftAddr)
		d.write()
	}
	var peers []string
	for _, n := range d.file.Nodes {
		peers = append(peers, "--peer", n.URL)
	}
	admin := d.admin(first)
	for i := 1; i <= nBranches; i++ {
		lib := struct{ id, name, address string }{fmt.Sprintf("B%d", i), fmt.Sprintf("Branch %d", i), ""}
		if i <= len(demoLibraries) {
			lib = demoLibraries[i-1]
		}
		// Central issues the registry: the library first, then (once the
		// appliance has its identity) its node.
		if err := waitFor(ctx, 30*time.Second, func() error {
			_, err := admin.PutLibrary(ctx, domain.Library{BranchID: lib.id, Name: lib.name, InstitutionID: "STACKS", Address: lib.address})
			return err
		}); err != nil {
			return fmt.Errorf("register library %s: %w", lib.id, err)
		}
		id := "branch-" + strings.ToLower(lib.id)
		httpAddr, err := freeAddr()
		if err != nil {
			return err
		}
		sip2Addr, err := freeAddr()
		if err != nil {
			return err
		}
		data := filepath.Join(d.dir, id)
		args := []string{"--data", data, "--http", httpAddr, "--branch", lib.id, "--sip2", sip2Addr,
			"--cluster-key-file", key, "--sync-interval", d.syncEvery.String(), fmt.Sprintf("--demo=%v", i == 1)}
		args = append(args, peers...)
		n := ClusterNode{ID: id, Role: "branch", URL: "http://" + httpAddr, Library: lib.id, SIP2: sip2Addr, DataDir: data, Args: args}
		if err := d.spawn(&n); err != nil {
			return err
		}
		if err := waitHealthy(ctx, n.URL); err != nil {
			return fmt.Errorf("%s: %w (see %s)", id, err, n.Log)
		}
		nodeID, err := readNodeID(data)
		if err != nil {
			return err
		}
		d.mu.Lock()
		d.file.Nodes[len(d.file.Nodes)-1].NodeID = nodeID
		d.mu.Unlock()
		if err := waitFor(ctx, 30*time.Second, func() error {
			return admin.RegisterNode(ctx, domain.RegistryNode{NodeID: nodeID, BranchID: lib.id, Role: "branch", Name: id})
		}); err != nil {
			return fmt.Errorf("register %s: %w", id, err)
		}
		fmt.Fprintf(d.out, "branch  %-10s %s (library %s, SIP2 %s, node %s)\n", id, n.URL, lib.id, sip2Addr, nodeID)
		d.write()
	}
	return nil
}

// admin is an API client with the demo's admin login.
func (d *demoCluster) admin(url string) *client.Client {
	c, _ := client.New(client.Config{BaseURL: url, Timeout: 20 * time.Second})
	return c.WithLogin("admin", "admin")
}

// spawn starts a node, its output going to DIR/<id>.log.
func (d *demoCluster) spawn(n *ClusterNode) error {
	n.Log = filepath.Join(d.dir, n.ID+".log")
	logf, err := os.OpenFile(n.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	cmd := exec.Command(d.branchd, n.Args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", n.ID, err)
	}
	go func() { cmd.Wait(); logf.Close() }()
	n.PID = cmd.Process.Pid
	d.mu.Lock()
	d.procs = append(d.procs, cmd)
	d.file.Nodes = append(d.file.Nodes, *n)
	d.mu.Unlock()
	return nil
}

// write saves cluster.json (atomically).
func (d *demoCluster) write() {
	d.mu.Lock()
	b, _ := json.MarshalIndent(d.file, "", "  ")
	d.mu.Unlock()
	p := filepath.Join(d.dir, "cluster.json")
	if err := os.WriteFile(p+".tmp", append(b, '\n'), 0o640); err == nil {
		os.Rename(p+".tmp", p)
	}
}

// stopAll sends SIGTERM to every node and waits for them (SIGKILL after
// 15 seconds).
func (d *demoCluster) stopAll() {
	d.mu.Lock()
	procs := d.procs
	d.mu.Unlock()
	for _, p := range procs {
		p.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, p := range procs {
		for p.ProcessState == nil && processAlive(p.Process.Pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if processAlive(p.Process.Pid) {
			p.Process.Kill()
		}
	}
}

// waitHealthy waits for a node's /healthz.
func waitHealthy(ctx context.Context, url string) error {
	return waitFor(ctx, 120*time.Second, func() error {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("healthz %s", resp.Status)
		}
		return nil
	})
}

// waitFor retries fn until it succeeds, the timeout passes or ctx ends.
func waitFor(ctx context.Context, timeout time.Duration, fn func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// readNodeID reads an appliance's node ID from its identity file.
func readNodeID(dataDir string) (string, error) {
	f, err := os.Open(filepath.Join(dataDir, "node.json"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	var id struct {
		NodeID string `json:"node_id"`
	}
	if err := json.NewDecoder(bufio.NewReader(f)).Decode(&id); err != nil {
		return "", err
	}
	return id.NodeID, nil
}
