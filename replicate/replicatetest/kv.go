package replicatetest

import (
	"context"
	"encoding/json"

	"stacks/replicate"
)

// KVTable is the table KV applies to; a test's migration creates it.
const KVTable = `CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT, stamp TEXT)`

// KV is a tiny last-writer-wins applier of {"K": ..., "V": ...} payloads
// into KVTable: enough state to test the log, sync and snapshots without
// the library domain.
type KV struct{}

// Apply keeps, per key, the value of the op with the highest stamp.
func (KV) Apply(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var p struct{ K, V string }
	if err := json.Unmarshal(op.Payload, &p); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO kv (k, v, stamp) VALUES (?,?,?)
		ON CONFLICT(k) DO UPDATE SET v=excluded.v, stamp=excluded.stamp WHERE excluded.stamp > kv.stamp`, p.K, p.V, string(op.Stamp()))
	return err
}
