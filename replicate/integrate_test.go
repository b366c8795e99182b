package replicate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// counting applies nothing and counts the ops it is given.
type counting struct{ n *int }

func (c counting) Apply(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	*c.n++
	return nil
}

func openLog(tb testing.TB, id replicate.NodeID, noSync bool, applier replicate.Applier) *replicate.Log {
	tb.Helper()
	ctx := context.Background()
	db, err := replicate.OpenDBOptions(ctx, filepath.Join(tb.TempDir(), "n.db"), nil, replicate.DBOptions{NoSync: noSync})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := replicate.DefaultConfig(id)
	cfg.Clock = replicatetest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	lg := replicate.NewLog(db, cfg, applier)
	if err := lg.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { lg.Close(); db.Close() })
	return lg
}

func opsOf(origin replicate.NodeID, from, to uint64) []replicate.Op {
	var ops []replicate.Op
	for c := from; c <= to; c++ {
		ops = append(ops, replicate.Op{Origin: origin, Counter: c, HLC: replicate.MakeTimestamp(1_700_000_000_000+int64(c), 0),
			Kind: "k", Payload: []byte(fmt.Sprintf(`{"n":%d}`, c))})
	}
	return ops
}

// TestIntegrateAnyDelivery: ops of several origins delivered in random
// batches, shuffled, with gaps filled later and duplicates inside and
// across batches, are each applied exactly once, and the version vector is
// always the highest contiguous counter per origin.
func TestIntegrateAnyDelivery(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 1))
			applied := 0
			lg := openLog(t, 99, true, counting{&applied})
			var all []replicate.Op
			for o := replicate.NodeID(1); o <= 3; o++ {
				all = append(all, opsOf(o, 1, uint64(50+r.IntN(200)))...)
			}
			r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
			have := map[replicate.NodeID]map[uint64]bool{1: {}, 2: {}, 3: {}}
			total := 0
			for len(all) > 0 {
				n := min(len(all), 1+r.IntN(300))
				batch := append([]replicate.Op(nil), all[:n]...)
				// duplicates inside the batch and of ops delivered before
				for i := r.IntN(5); i > 0; i-- {
					batch = append(batch, batch[r.IntN(len(batch))])
				}
				if r.IntN(2) == 0 {
					batch = append(batch, all[:r.IntN(n)]...)
				}
				r.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
				// a dropped tail is delivered again later
				keep := n
				if r.IntN(3) == 0 {
					keep = max(1, n-r.IntN(n))
				}
				sent := batch
				if keep < n {
					sent = all[:keep]
				}
				want := 0
				for _, op := range sent {
					if !have[op.Origin][op.Counter] {
						have[op.Origin][op.Counter] = true
						want++
					}
				}
				got, err := lg.Integrate(context.Background(), sent)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("integrate returned %d new ops, want %d", got, want)
				}
				total += want
				all = all[keep:]
				vv, err := lg.VersionVector(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for o, set := range have {
					var c uint64
					for set[c+1] {
						c++
					}
					if vv[o] != c {
						t.Fatalf("vector[%s] = %d, want %d", o, vv[o], c)
					}
				}
			}
			if applied != total {
				t.Fatalf("applied %d ops, want %d", applied, total)
			}
		})
	}
}

// TestIntegrateOwnOps: replaying a node's own ops moves its counter on, so
// that its next local op does not reuse a counter.
func TestIntegrateOwnOps(t *testing.T) {
	applied := 0
	lg := openLog(t, 5, true, counting{&applied})
	if _, err := lg.Integrate(context.Background(), opsOf(5, 1, 10)); err != nil {
		t.Fatal(err)
	}
	var op replicate.Op
	err := lg.Update(context.Background(), func(tx *replicate.Tx) error {
		var err error
		op, err = tx.Emit(context.Background(), "k", map[string]int{"n": 11}, "", "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if op.Counter != 11 {
		t.Fatalf("next local op has counter %d, want 11", op.Counter)
	}
}

// BenchmarkIntegrateStore is the op log's own share of applying remote
// ops (storing them, the version vector), with an applier that does
// nothing: batches of 1,000, durable commits.
func BenchmarkIntegrateStore(b *testing.B) {
	applied := 0
	lg := openLog(b, 99, false, counting{&applied})
	ops := opsOf(1, 1, uint64(b.N))
	for i := range ops {
		ops[i].Kind = "loan.checkout"
		ops[i].Payload = []byte(fmt.Sprintf(`{"loan_id":"019a8f3c-%012d","item_id":"019a8f3c-4b1e-7c2d-9e0f-%012d","patron_id":"019a8f3c-4b1e-7c2d-9e0f-a1b2c3d4e5f6","branch_id":"MAIN","issued_at":"2026-11-23T10:00:00.000Z","due_date":"2026-12-14","after":""}`, i, i))
		ops[i].Actor, ops[i].Channel = "clerk", "desk"
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < len(ops); i += 1000 {
		if _, err := lg.Integrate(context.Background(), ops[i:min(i+1000, len(ops))]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}

// TestExecValues: rows go in whatever chunks, in order (a later row's
// upsert sees an earlier one), also for more statement shapes than are
// kept prepared.
func TestExecValues(t *testing.T) {
	lg := openLog(t, 1, true, counting{new(int)})
	ctx := context.Background()
	err := lg.Update(ctx, func(tx *replicate.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
			return err
		}
		for shape := 0; shape < 300; shape++ {
			var args []any
			for i := 0; i < 1+shape%40; i++ {
				args = append(args, int64(shape), int64(1))
			}
			tail := fmt.Sprintf("ON CONFLICT(k) DO UPDATE SET n=n+excluded.n -- %d", shape)
			if err := tx.ExecValues(ctx, `INSERT INTO t (k, n)`, 2, tail, args); err != nil {
				return err
			}
		}
		for shape := 0; shape < 300; shape++ {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT n FROM t WHERE k=?`, shape).Scan(&n); err != nil {
				return err
			}
			if n != 1+shape%40 {
				return fmt.Errorf("row %d: n=%d, want %d", shape, n, 1+shape%40)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEmitBatch: ops emitted together get the next counters in order,
// keep the HLCs they were given, are applied once each and advance the
// version vector; a failing batch leaves no op and no counter used.
func TestEmitBatch(t *testing.T) {
	ctx := context.Background()
	applied := 0
	lg := openLog(t, 7, true, counting{&applied})
	var stamps []replicate.Stamp
	err := lg.Update(ctx, func(tx *replicate.Tx) error {
		if _, err := tx.Emit(ctx, "k", 0, "a", "desk"); err != nil {
			return err
		}
		h := tx.Clock().Now()
		stamps = append(stamps, replicate.MakeStamp(h, tx.Node()))
		out, err := tx.EmitBatch(ctx, []replicate.Op{{HLC: h, Kind: "k", Payload: []byte(`1`)}, {Kind: "k", Payload: []byte(`2`)}})
		if err != nil {
			return err
		}
		if len(out) != 2 || out[0].Counter != 2 || out[1].Counter != 3 || out[0].Stamp() != stamps[0] || out[1].HLC <= h {
			return fmt.Errorf("emitted %+v", out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if applied != 3 {
		t.Fatalf("applied %d ops, want 3", applied)
	}
	vv, err := lg.VersionVector(ctx)
	if err != nil || vv[7] != 3 {
		t.Fatalf("vector %v, %v", vv, err)
	}
	fail := fmt.Errorf("refused")
	if err := lg.Update(ctx, func(tx *replicate.Tx) error {
		if _, err := tx.EmitBatch(ctx, []replicate.Op{{Kind: "k", Payload: []byte(`3`)}}); err != nil {
			return err
		}
		return fail
	}); err != fail {
		t.Fatal(err)
	}
	if err := lg.Update(ctx, func(tx *replicate.Tx) error {
		out, err := tx.EmitBatch(ctx, []replicate.Op{{Kind: "k", Payload: []byte(`4`)}})
		if err == nil && out[0].Counter != 4 {
			err = fmt.Errorf("counter %d after a failed batch, want 4", out[0].Counter)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
