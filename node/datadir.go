package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFile is the file in the data dir that a running node holds an
// exclusive lock on, and that names its process.
const lockFile = "branchd.lock"

// lockDataDir creates the data dir and takes its lock, so that a second
// node started on the same dir (a second branchd, a service started twice)
// stops at once with a clear error instead of opening the same database,
// search index and Raft log beside the first. The lock is the kernel's
// (flock), so it goes with the process however it ends; the file stays.
func (n *Node) lockDataDir(context.Context) error {
	if err := os.MkdirAll(n.cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("node: data dir: %w", err)
	}
	path := filepath.Join(n.cfg.DataDir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("node: data dir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another process"
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
					holder = "process " + strconv.Itoa(pid)
				}
			}
			return fmt.Errorf("node: the data dir %s is in use by %s (a node is running on it); stop that one first, or give this one another --data", n.cfg.DataDir, holder)
		}
		return fmt.Errorf("node: data dir lock: %w", err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	n.closers.add(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
	return nil
}
