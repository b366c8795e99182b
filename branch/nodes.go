package branch

import (
	"context"
	"fmt"
	"sync"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
)

// KindNodeSet registers a node (an appliance's op-log origin) in the branch
// registry: fieldsOp keyed by node_id.
const KindNodeSet = "registry.node"

// RegisterNode adds a node to the registry or updates its entry. A branch
// node must name a registered library.
func (s *Service) RegisterNode(ctx context.Context, n domain.RegistryNode) error {
	id, err := replicate.ParseNodeID(n.NodeID)
	if err != nil || id == 0 {
		return domain.Invalid("A node id is 16 hexadecimal digits, as /api/v1/cluster/state shows it; got %q.", n.NodeID)
	}
	switch n.Role {
	case domain.NodeRoleBranch, domain.NodeRoleCentral:
	case "":
		n.Role = domain.NodeRoleBranch
	default:
		return domain.Invalid("A node's role is branch or central, not %q.", n.Role)
	}
	if n.Role == domain.NodeRoleBranch && n.BranchID == "" {
		return domain.Invalid("A branch node needs the library it serves (library_id).")
	}
	err = s.update(ctx, func(t *txn) error {
		if n.BranchID != "" {
			if err := requireLibrary(ctx, t, n.BranchID); err != nil {
				return err
			}
		}
		_, err := t.emit(ctx, KindNodeSet, fieldsOp{Key: map[string]any{"node_id": id.String()}, Fields: map[string]any{
			"branch_id": n.BranchID, "role": n.Role, "name": n.Name, "retired": n.Retired}})
		return err
	})
	if err == nil {
		s.registry.invalidate()
	}
	return err
}

// RegistryNodes lists the registered nodes.
func (s *Service) RegistryNodes(ctx context.Context) ([]domain.RegistryNode, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT node_id, branch_id, role, name, retired FROM registry_nodes ORDER BY role, branch_id, node_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.RegistryNode{}
	for rows.Next() {
		var n domain.RegistryNode
		if err := rows.Scan(&n.NodeID, &n.BranchID, &n.Role, &n.Name, &n.Retired); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// registryCache remembers the registered origins for a moment: Admit is
// asked about every arriving op.
type registryCache struct {
	mu    sync.Mutex
	at    time.Time
	nodes map[replicate.NodeID]bool
}

func (c *registryCache) invalidate() {
	c.mu.Lock()
	c.nodes = nil
	c.mu.Unlock()
}

// registryTTL bounds how long a newly registered node may wait to be
// admitted by a node that learnt of it by sync.
const registryTTL = time.Second

// Admit is the replicate.Config.Admit of a node: once the node knows the
// registry (it holds at least one registered node), it refuses ops whose
// origin was never registered, and says so in its log (once per origin).
// Its own ops are always admitted.
func (s *Service) Admit(op replicate.Op) error {
	if op.Origin == s.log.Node() {
		return nil
	}
	nodes, err := s.registeredOrigins()
	if err != nil || len(nodes) == 0 || nodes[op.Origin] {
		return nil // a failed read must not lose ops: admit, as before the registry
	}
	return fmt.Errorf("origin %s is not in the branch registry (register it at central: PUT /api/v1/cluster/nodes/%s)", op.Origin, op.Origin)
}

func (s *Service) registeredOrigins() (map[replicate.NodeID]bool, error) {
	c := &s.registry
	now := s.cfg.Clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nodes != nil && now.Sub(c.at) < registryTTL {
		return c.nodes, nil
	}
	rows, err := s.db.Read().Query(`SELECT node_id FROM registry_nodes`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	nodes := map[replicate.NodeID]bool{}
	for rows.Next() {
		var hex string
		if err := rows.Scan(&hex); err != nil {
			return nil, err
		}
		if id, err := replicate.ParseNodeID(hex); err == nil {
			nodes[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.nodes, c.at = nodes, now
	return nodes, nil
}
