package node

import (
	"context"
	"time"

	"stacks/branch/insight"
)

// SearchFlush is how often the counts of searches and their success are
// written (one insight.searches op per flush, and one at shutdown).
const SearchFlush = time.Minute

// searchCounter counts the searches of this node's branch, for the web
// (web.SearchCounter) and the API (httpapi.SearchCounter).
type searchCounter struct {
	s      *insight.Searches
	branch string
}

func (c searchCounter) Search(channel string) string { return c.s.Search(c.branch, channel) }
func (c searchCounter) Success(nonce string) bool    { return c.s.Success(nonce) }

// searchesLoop writes the search counts every SearchFlush and, when the
// node stops (after its listeners are shut), once more.
func (n *Node) searchesLoop(ctx context.Context) {
	t, tick := n.cfg.Clock.NewTicker(SearchFlush)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := n.searches.Flush(fctx); err != nil {
				n.lg.Warn("search counts lost at shutdown", "err", err)
			}
			return
		case <-tick:
			if err := n.searches.Flush(ctx); err != nil && ctx.Err() == nil {
				n.lg.Warn("search counts not written", "err", err)
			}
		}
	}
}
