package domain

// Node roles in the registry.
const (
	NodeRoleBranch  = "branch"
	NodeRoleCentral = "central"
)

// RegistryNode is a registered node.
type RegistryNode struct {
	NodeID   string `json:"node_id"`
	BranchID string `json:"library_id"`
	Role     string `json:"role"`
	Name     string `json:"name"`
	Retired  bool   `json:"retired"`
}
