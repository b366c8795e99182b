package node

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"stacks/replicate"
)

// Identity is who this node is, chosen at first start and kept.
type Identity struct {
	NodeID    replicate.NodeID `json:"-"`
	NodeHex   string           `json:"node_id"`
	Branch    string           `json:"branch_id"`
	CreatedAt time.Time        `json:"created_at"`
}

const identityFile = "node.json"

// loadIdentity reads the identity in dir, creating it if the dir is new.
// created reports a new identity.
func loadIdentity(dir, branch string, r io.Reader, now time.Time) (id Identity, created bool, err error) {
	path := filepath.Join(dir, identityFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &id); err != nil {
			return id, false, fmt.Errorf("node: %s is damaged: %w", path, err)
		}
		if id.NodeID, err = replicate.ParseNodeID(id.NodeHex); err != nil || id.NodeID == 0 {
			return id, false, fmt.Errorf("node: %s has a bad node id %q", path, id.NodeHex)
		}
		if branch != "" && branch != id.Branch {
			return id, false, fmt.Errorf("node: this data dir belongs to branch %s, not %s", id.Branch, branch)
		}
		return id, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return id, false, fmt.Errorf("node: read identity: %w", err)
	}
	if branch == "" {
		return id, false, errors.New("node: a new data dir needs a branch id (--branch)")
	}
	if r == nil {
		r = rand.Reader
	}
	var buf [8]byte
	for id.NodeID == 0 {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return id, false, fmt.Errorf("node: node id: %w", err)
		}
		id.NodeID = replicate.NodeID(binary.BigEndian.Uint64(buf[:]))
	}
	id.NodeHex, id.Branch, id.CreatedAt = id.NodeID.String(), branch, now.UTC()
	out, _ := json.MarshalIndent(id, "", "  ")
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return id, false, fmt.Errorf("node: write identity: %w", err)
	}
	if _, err := f.Write(append(out, '\n')); err != nil {
		f.Close()
		return id, false, fmt.Errorf("node: write identity: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return id, false, fmt.Errorf("node: write identity: %w", err)
	}
	f.Close()
	if err := os.Rename(tmp, path); err != nil {
		return id, false, fmt.Errorf("node: write identity: %w", err)
	}
	return id, true, nil
}
