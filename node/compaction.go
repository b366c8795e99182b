package node

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/replicate"
	"stacks/replicate/central"
)

// CompactConfig turns on compaction of the op log by causal stability: ops
// every registered replica holds are deleted from the log (their effects
// live in the state tables), a batch at a time on a background loop.
type CompactConfig struct {
	Enabled bool
	// Horizon: a registered replica not heard from for this long no longer
	// holds compaction back (default 30 days); if it returns after the
	// others compacted past it, it must re-bootstrap.
	Horizon time.Duration
	// Every is the pause between compaction passes (default a minute).
	Every time.Duration
	// Batch is the most ops deleted in one transaction of the single
	// writer (default 2000), so a pass never holds up commands long.
	Batch int
}

func (c CompactConfig) withDefaults() CompactConfig {
	if c.Horizon <= 0 {
		c.Horizon = 30 * 24 * time.Hour
	}
	if c.Every <= 0 {
		c.Every = time.Minute
	}
	if c.Batch <= 0 {
		c.Batch = 2000
	}
	return c
}

// compaction is what the loop last found and did (for status and metrics).
type compaction struct {
	mu       sync.Mutex
	stable   replicate.VersionVector
	excluded []string
	// refused are replicas told to re-bootstrap (a pull from below the
	// floor), with the detail, by node ID.
	refused map[string]string
	ops     int64
	bytes   int64
	passes  int64
	last    time.Time
	lastDur time.Duration
}

func (c *compaction) stableVector(context.Context) replicate.VersionVector {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := replicate.VersionVector{}
	out.Merge(c.stable)
	return out
}

// compactLoop compacts the op log every Every, on the node's clock.
func (n *Node) compactLoop(ctx context.Context) {
	cc := n.cfg.Compact.withDefaults()
	t, tick := n.cfg.Clock.NewTicker(cc.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		if err := n.compactOnce(ctx); err != nil && ctx.Err() == nil {
			n.lg.Warn("compaction pass failed", "err", err)
		}
	}
}

// compactOnce learns the stable vector (computed here on a central node;
// from central's sync answers on a branch) and deletes the ops at or below
// it, in batches.
func (n *Node) compactOnce(ctx context.Context) error {
	cc := n.cfg.Compact.withDefaults()
	var stable replicate.VersionVector
	var excluded []string
	if n.isCentral() {
		var err error
		if stable, excluded, err = n.centralStable(ctx); err != nil {
			return err
		}
	} else {
		if msg := n.syncer.NeedsRebootstrap(); msg != "" {
			n.lg.Error("RE-BOOTSTRAP NEEDED: this node lacks ops the cluster has compacted away", "detail", msg)
			return nil
		}
		stable = n.syncer.Stable()
	}
	start := n.cfg.Clock.Now()
	var ops int
	var bytes int64
	for {
		res, err := n.log.Compact(ctx, stable, cc.Batch)
		if err != nil {
			return err
		}
		ops += res.Ops
		bytes += res.Bytes
		if !res.More || ctx.Err() != nil {
			break
		}
	}
	c := &n.compaction
	c.mu.Lock()
	prev := c.excluded
	c.stable, c.excluded = stable, excluded
	c.ops += int64(ops)
	c.bytes += bytes
	c.passes++
	c.last, c.lastDur = n.cfg.Clock.Now(), n.cfg.Clock.Now().Sub(start)
	c.mu.Unlock()
	for _, x := range excluded {
		if !containsString(prev, x) {
			n.lg.Error("replica silent past the compaction horizon: no longer holding compaction back; it must re-bootstrap when it returns",
				"node", x, "horizon", cc.Horizon.String())
		}
	}
	if ops > 0 {
		n.lg.Info("compacted the op log", "ops", ops, "payload_bytes", bytes, "stable", stable.String())
	}
	return nil
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// centralStable is the stable vector as this central node knows it: the
// minimum over its own vector and every registered, unretired branch's
// newest vector (from this node's contacts, the other central nodes'
// contacts, and what it kept across restarts), leaving out branches not
// heard from within the horizon. A branch registered but never heard from
// counts from when this node first noticed it, with nothing held.
func (n *Node) centralStable(ctx context.Context) (replicate.VersionVector, []string, error) {
	cc := n.cfg.Compact.withDefaults()
	now := n.cfg.Clock.Now().UTC()
	contacts := n.contacts.list()
	contacts = append(contacts, n.peerContacts(ctx)...)
	var seen []replicate.Replica
	for _, c := range contacts {
		if c.VectorMap == nil {
			continue
		}
		vv, err := vectorFromMap(c.VectorMap)
		if err != nil {
			continue
		}
		seen = append(seen, replicate.Replica{Node: c.Node, Vector: vv, LastSeen: c.LastSeen})
	}
	if err := n.log.SeenReplicas(ctx, seen); err != nil {
		return nil, nil, err
	}
	known, err := n.log.KnownReplicas(ctx)
	if err != nil {
		return nil, nil, err
	}
	nodes, err := n.svc.RegistryNodes(ctx)
	if err != nil {
		return nil, nil, err
	}
	var reps, noticed []replicate.Replica
	for _, rn := range nodes {
		if rn.Role != domain.NodeRoleBranch || rn.Retired {
			continue
		}
		r, ok := known[rn.NodeID]
		if !ok {
			r = replicate.Replica{Node: rn.NodeID, Vector: replicate.VersionVector{}, LastSeen: now}
			noticed = append(noticed, r)
		}
		reps = append(reps, r)
	}
	if err := n.log.SeenReplicas(ctx, noticed); err != nil {
		return nil, nil, err
	}
	mine, err := n.log.VersionVector(ctx)
	if err != nil {
		return nil, nil, err
	}
	stable, excluded := replicate.StableVector(mine, reps, now, cc.Horizon)
	// A replica told to re-bootstrap that has since caught up past the
	// floors (re-bootstrapped) is well again.
	if floors, err := n.log.CompactedVector(ctx); err == nil {
		c := &n.compaction
		c.mu.Lock()
		for x := range c.refused {
			if r, ok := known[x]; ok && covers(r.Vector, floors) {
				delete(c.refused, x)
			}
		}
		c.mu.Unlock()
	}
	return stable, excluded, nil
}

// peerContacts are the other central nodes' contacts (briefly; an
// unreachable one adds nothing, and what this node kept stands in).
func (n *Node) peerContacts(ctx context.Context) []Contact {
	if n.central == nil {
		return nil
	}
	members, err := n.central.Members(ctx)
	if err != nil {
		return nil
	}
	self := n.central.Status(ctx).ID
	var mu sync.Mutex
	var out []Contact
	var wg sync.WaitGroup
	for _, m := range members {
		if m.ID == self || m.URL == "" {
			continue
		}
		wg.Add(1)
		go func(m central.Member) {
			defer wg.Done()
			v, err := n.fetchCentralView(ctx, m)
			if err != nil {
				return
			}
			mu.Lock()
			out = append(out, v.Contacts...)
			mu.Unlock()
		}(m)
	}
	wg.Wait()
	return out
}

func covers(vv, floors replicate.VersionVector) bool {
	for o, c := range floors {
		if vv[o] < c {
			return false
		}
	}
	return true
}

func vectorFromMap(m map[string]uint64) (replicate.VersionVector, error) {
	vv := replicate.VersionVector{}
	for k, c := range m {
		id, err := replicate.ParseNodeID(k)
		if err != nil {
			return nil, err
		}
		vv[id] = c
	}
	return vv, nil
}

// noteRebootstrap records a replica told to re-bootstrap (a pull from
// below this node's compaction floor).
func (n *Node) noteRebootstrap(node string, err *replicate.CompactedError) {
	// A stale request (sent, or delayed, before the replica got past the
	// floors through another central node) is not a replica in need: its
	// newest known vector covers the floors, and its syncer asks again.
	if known, kerr := n.log.KnownReplicas(context.Background()); kerr == nil {
		if floors, ferr := n.log.CompactedVector(context.Background()); ferr == nil {
			if r, ok := known[node]; ok && covers(r.Vector, floors) {
				n.lg.Info("a stale pull from below the compaction point was refused; the replica is past it", "node", node)
				return
			}
		}
	}
	c := &n.compaction
	c.mu.Lock()
	if c.refused == nil {
		c.refused = map[string]string{}
	}
	_, known := c.refused[node]
	c.refused[node] = err.Error()
	c.mu.Unlock()
	if !known {
		n.lg.Error("RE-BOOTSTRAP NEEDED: a replica asked for ops compacted away here; its ops are still accepted",
			"node", node, "err", err.Error())
	}
}

// compactionStatus is the compaction part of the cluster status, and the
// problems it adds per branch node.
func (n *Node) compactionStatus(ctx context.Context) (*apitype.CompactionStatus, map[string][]string) {
	if !n.cfg.Compact.Enabled {
		return nil, nil
	}
	cc := n.cfg.Compact.withDefaults()
	c := &n.compaction
	c.mu.Lock()
	st := &apitype.CompactionStatus{Enabled: true, HorizonDays: cc.Horizon.Hours() / 24, Stable: map[string]uint64{},
		Excluded: append([]string{}, c.excluded...), CompactedOps: c.ops, CompactedBytes: c.bytes, Passes: c.passes}
	for o, v := range c.stable {
		st.Stable[o.String()] = v
	}
	if !c.last.IsZero() {
		last := c.last
		st.LastPass, st.LastPassMillis = &last, float64(c.lastDur.Microseconds())/1000
	}
	problems := map[string][]string{}
	url := n.centralURL()
	for _, x := range c.excluded {
		problems[x] = append(problems[x], fmt.Sprintf("silent for longer than the compaction horizon (%g days): no longer holding compaction back; when it returns it must re-bootstrap (branchd --bootstrap-from %s --bootstrap-force)", st.HorizonDays, url))
	}
	var refused []string
	for x := range c.refused {
		refused = append(refused, x)
	}
	sort.Strings(refused)
	for _, x := range refused {
		problems[x] = append(problems[x], fmt.Sprintf("RE-BOOTSTRAP NEEDED: it lacks ops compacted away (%s); its own ops were accepted; run on it: branchd --bootstrap-from %s --bootstrap-force", c.refused[x], url))
	}
	st.Rebootstrap = refused
	if st.Rebootstrap == nil {
		st.Rebootstrap = []string{}
	}
	c.mu.Unlock()
	if floors, err := n.log.CompactedVector(ctx); err == nil {
		st.Floors = map[string]uint64{}
		for o, v := range floors {
			st.Floors[o.String()] = v
		}
	}
	return st, problems
}
