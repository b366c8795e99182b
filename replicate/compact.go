package replicate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Compaction by causal stability. An op that every registered replica is
// known to hold (its counter is at or below the cluster's stable vector,
// the minimum over the replicas' version vectors) is never asked for again
// by a replica that keeps syncing: its effects live in the state tables
// (the appliers read only the op and the state, never older ops), so its
// row can go. What stays is the version vector (sync still knows the op was
// held: Integrate skips it if it arrives again) and, per origin, the
// compaction floor: every op of the origin up to that counter is gone. A
// peer asking for ops below a floor cannot be served from the log; it gets
// ErrCompacted (over HTTP: 410, "rebootstrap_required") instead of a silent
// gap, and must start again from a snapshot of a peer's state.

// ErrCompacted is returned by Ops for a vector that lacks ops this log has
// compacted away: its holder must re-bootstrap from a snapshot.
var ErrCompacted = errors.New("replicate: ops below the compaction point were asked for: re-bootstrap needed")

// CompactedError says which origin's ops were asked for below the floor.
type CompactedError struct {
	Origin NodeID
	Have   uint64 // the asker's vector entry
	Floor  uint64 // every op of Origin up to Floor is compacted here
}

func (e *CompactedError) Error() string {
	return fmt.Sprintf("replicate: ops %d..%d of origin %s were compacted away (re-bootstrap needed)", e.Have+1, e.Floor, e.Origin)
}

// Is makes errors.Is(err, ErrCompacted) true.
func (e *CompactedError) Is(target error) bool { return target == ErrCompacted }

// compactionMigration adds the floors, and the replicas' vectors a
// central node keeps to compute the stable vector (local to each node,
// never replicated, never hashed).
const compactionMigration = `
CREATE TABLE compacted (
	origin  INTEGER PRIMARY KEY,
	counter INTEGER NOT NULL,
	hlc     INTEGER NOT NULL
);
CREATE TABLE replica_vectors (
	node      TEXT PRIMARY KEY,
	vector    TEXT NOT NULL,
	last_seen INTEGER NOT NULL
);
`

// CompactedVector is the log's compaction floor per origin: every op of
// the origin up to the counter was compacted away.
func (l *Log) CompactedVector(ctx context.Context) (VersionVector, error) {
	return readFloors(ctx, l.db.reader)
}

func readFloors(ctx context.Context, q Querier) (VersionVector, error) {
	rows, err := q.QueryContext(ctx, `SELECT origin, counter FROM compacted`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	vv := VersionVector{}
	for rows.Next() {
		var o, c int64
		if err := rows.Scan(&o, &c); err != nil {
			return nil, err
		}
		vv[NodeID(o)] = uint64(c)
	}
	return vv, rows.Err()
}

// checkFloors reports the first origin (in ascending order) whose ops
// holder of have lacks below this log's floor.
func checkFloors(have, floors VersionVector) error {
	keys := make([]NodeID, 0, len(floors))
	for o := range floors {
		keys = append(keys, o)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, o := range keys {
		if have[o] < floors[o] {
			return &CompactedError{Origin: o, Have: have[o], Floor: floors[o]}
		}
	}
	return nil
}

// CheckServable is nil when every op the holder of have lacks is still in
// this log, and a *CompactedError (ErrCompacted) when some were compacted
// away.
func (l *Log) CheckServable(ctx context.Context, have VersionVector) error {
	floors, err := l.CompactedVector(ctx)
	if err != nil {
		return err
	}
	return checkFloors(have, floors)
}

// CompactResult is what one Compact call did.
type CompactResult struct {
	Ops   int   // op rows deleted
	Bytes int64 // their payload bytes
	// More is true when ops at or below the stable vector are left (the
	// batch was full): call again.
	More bool
}

// Compact deletes up to batch ops (oldest counters first, per origin) at
// or below stable and at or below this log's own version vector, in one
// short transaction of the single writer (so it waits behind, and never
// long holds up, the writes of commands and sync), and raises the
// compaction floors. It bypasses a Proposer: compaction is local to each
// replica and touches no state table.
func (l *Log) Compact(ctx context.Context, stable VersionVector, batch int) (CompactResult, error) {
	if batch <= 0 {
		batch = 1000
	}
	var res CompactResult
	err := l.Update(Direct(ctx), func(tx *Tx) error {
		res = CompactResult{}
		mine := VersionVector{}
		rows, err := tx.QueryContext(ctx, `SELECT origin, counter FROM version_vector`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var o, c int64
			if err := rows.Scan(&o, &c); err != nil {
				rows.Close()
				return err
			}
			mine[NodeID(o)] = uint64(c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		floors, err := readFloors(ctx, tx)
		if err != nil {
			return err
		}
		keys := make([]NodeID, 0, len(stable))
		for o := range stable {
			keys = append(keys, o)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		left := batch
		for _, o := range keys {
			upto := min(stable[o], mine[o])
			if upto <= floors[o] {
				continue
			}
			if left == 0 {
				res.More = true
				break
			}
			// The batch's last counter: at most left ops past the floor.
			end := min(upto, floors[o]+uint64(left))
			var n, bytes, maxHLC sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT count(*), sum(length(payload)), max(hlc) FROM ops WHERE origin=? AND counter>? AND counter<=?`,
				int64(o), int64(floors[o]), int64(end)).Scan(&n, &bytes, &maxHLC); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM ops WHERE origin=? AND counter>? AND counter<=?`, int64(o), int64(floors[o]), int64(end)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO compacted (origin, counter, hlc) VALUES (?, ?, ?)
				ON CONFLICT(origin) DO UPDATE SET counter=excluded.counter, hlc=max(hlc, excluded.hlc)`, int64(o), int64(end), maxHLC.Int64); err != nil {
				return err
			}
			res.Ops += int(n.Int64)
			res.Bytes += bytes.Int64
			left -= int(end - floors[o])
			if end < upto {
				res.More = true
				break
			}
		}
		return nil
	})
	if err != nil {
		return CompactResult{}, fmt.Errorf("replicate: compact: %w", err)
	}
	return res, nil
}

// localCounterFloor is the highest counter of origin this log has ever
// held, compacted ones included: a log whose own ops were all compacted
// away must not reuse their counters.
func localHighWater(ctx context.Context, q Querier, node NodeID) (counter uint64, hlc Timestamp, err error) {
	var c, h int64
	err = q.QueryRowContext(ctx, `SELECT max(
			coalesce((SELECT max(counter) FROM ops WHERE origin=?1), 0),
			coalesce((SELECT counter FROM compacted WHERE origin=?1), 0)),
		max(coalesce((SELECT max(hlc) FROM ops), 0), coalesce((SELECT max(hlc) FROM compacted), 0))`, int64(node)).Scan(&c, &h)
	return uint64(c), Timestamp(h), err
}

// Replica is what a central node knows of one registered replica for the
// stable vector: the newest vector it reported and when.
type Replica struct {
	Node     string
	Vector   VersionVector
	LastSeen time.Time
}

// StableVector is the cluster-wide minimum of the replicas' vectors and
// self (this node's own vector: a central node is a replica too), leaving
// out replicas not heard from within horizon of now (they are returned as
// excluded, sorted; they must re-bootstrap if they come back after the
// others compacted past them). A replica that was never heard from should
// be passed with its registration time as LastSeen and an empty vector:
// it holds every origin at zero until it syncs or the horizon passes.
func StableVector(self VersionVector, replicas []Replica, now time.Time, horizon time.Duration) (stable VersionVector, excluded []string) {
	stable = VersionVector{}
	for o, c := range self {
		stable[o] = c
	}
	for _, r := range replicas {
		if horizon > 0 && now.Sub(r.LastSeen) > horizon {
			excluded = append(excluded, r.Node)
			continue
		}
		for o := range stable {
			stable[o] = min(stable[o], r.Vector[o])
		}
	}
	for o, c := range stable {
		if c == 0 {
			delete(stable, o)
		}
	}
	sort.Strings(excluded)
	return stable, excluded
}

// Merge raises v to at least w entry by entry (stable vectors only grow).
func (v VersionVector) Merge(w VersionVector) {
	for o, c := range w {
		if c > v[o] {
			v[o] = c
		}
	}
}

// ParseVersionVector parses the String form "origin:counter,...".
func ParseVersionVector(s string) (VersionVector, error) {
	vv := VersionVector{}
	if s == "" {
		return vv, nil
	}
	for _, part := range strings.Split(s, ",") {
		o, c, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("replicate: bad vector entry %q", part)
		}
		id, err := ParseNodeID(o)
		if err != nil {
			return nil, err
		}
		var n uint64
		if _, err := fmt.Sscan(c, &n); err != nil {
			return nil, fmt.Errorf("replicate: bad vector entry %q", part)
		}
		vv[id] = n
	}
	return vv, nil
}

// SeenReplica records (on a central node) that a replica reported vector
// at time at: kept in replica_vectors, entry by entry the highest seen, so
// the stable vector survives a restart. It is a local write (no op).
func (l *Log) SeenReplicas(ctx context.Context, seen []Replica) error {
	if len(seen) == 0 {
		return nil
	}
	return l.Update(Direct(ctx), func(tx *Tx) error {
		for _, r := range seen {
			var prevVec string
			var prevSeen int64
			err := tx.QueryRowContext(ctx, `SELECT vector, last_seen FROM replica_vectors WHERE node=?`, r.Node).Scan(&prevVec, &prevSeen)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			vv := VersionVector{}
			if err == nil {
				if old, perr := ParseVersionVector(prevVec); perr == nil {
					vv = old
				}
			}
			vv.Merge(r.Vector)
			at := r.LastSeen.UnixNano()
			if prevSeen > at {
				at = prevSeen
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO replica_vectors (node, vector, last_seen) VALUES (?, ?, ?)
				ON CONFLICT(node) DO UPDATE SET vector=excluded.vector, last_seen=excluded.last_seen`, r.Node, vv.String(), at); err != nil {
				return err
			}
		}
		return nil
	})
}

// KnownReplicas reads what SeenReplicas kept.
func (l *Log) KnownReplicas(ctx context.Context) (map[string]Replica, error) {
	rows, err := l.db.reader.QueryContext(ctx, `SELECT node, vector, last_seen FROM replica_vectors`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Replica{}
	for rows.Next() {
		var node, vec string
		var at int64
		if err := rows.Scan(&node, &vec, &at); err != nil {
			return nil, err
		}
		vv, err := ParseVersionVector(vec)
		if err != nil {
			return nil, err
		}
		out[node] = Replica{Node: node, Vector: vv, LastSeen: time.Unix(0, at).UTC()}
	}
	return out, rows.Err()
}
