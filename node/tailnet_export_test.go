package node

import (
	"context"
	"net"
)

// TailnetStream exposes tailnetStream (for the central Raft transport) to
// the black-box tests.
func (n *Node) TailnetStream() (net.Listener, func(ctx context.Context, network, addr string) (net.Conn, error), bool) {
	return n.tailnetStream()
}
