package node

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"stacks/node/httpapi"
)

// clusterKeyFile is where a node keeps a generated cluster key.
const clusterKeyFile = "cluster.key"

// loadClusterKey reads the secret that signs session tokens from path, or,
// when path is empty, from the data dir, generating it there on first
// start. Every node of a cluster must share the key (copy the file, or
// give each node the same --cluster-key-file), or a token issued by one
// is refused by the others.
func loadClusterKey(path, dataDir string, rnd io.Reader, lg *slog.Logger) ([]byte, error) {
	explicit := path != ""
	if !explicit {
		path = filepath.Join(dataDir, clusterKeyFile)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		key := make([]byte, 32)
		if _, err := io.ReadFull(rnd, key); err != nil {
			return nil, fmt.Errorf("node: cluster key: %w", err)
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("node: cluster key: %w", err)
		}
		lg.Info("generated a cluster key for session tokens; give every node of the cluster the same one", "file", path)
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("node: cluster key: %w", err)
	}
	key := []byte(strings.TrimSpace(string(b)))
	if len(key) < httpapi.MinClusterKeyBytes {
		return nil, fmt.Errorf("node: cluster key %s is shorter than %d bytes", path, httpapi.MinClusterKeyBytes)
	}
	return key, nil
}
