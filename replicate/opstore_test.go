package replicate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// varied makes n ops of several origins with payloads like a library's
// (UUIDs, stamps, codes, free text) and some that are not JSON at all.
func varied(n int, seed uint64) []replicate.Op {
	r := rand.New(rand.NewPCG(seed, 2))
	uuid := func() string {
		return fmt.Sprintf("%08x-%04x-7%03x-%04x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), 0x8000|r.IntN(1<<14), r.Uint64()>>16)
	}
	origins := []replicate.NodeID{0x9f3a_5c2e_11d0_77aa, 42, 0xffff_ffff_ffff_fff0}
	counters := map[replicate.NodeID]uint64{}
	kinds := []string{"item.set", "loan.checkout", "loan.checkin", "biblio.set", "patron.set", "kv"}
	ops := make([]replicate.Op, 0, n)
	for i := 0; i < n; i++ {
		o := origins[r.IntN(len(origins))]
		counters[o]++
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		var p string
		switch r.IntN(10) {
		case 0:
			p = string([]byte{byte(r.IntN(5)), 'x', byte(r.IntN(256))})
		case 1:
			p = fmt.Sprintf(`{"title":"T\"%d\" \\ Ä","year":%d,"subjects":[]}`, i, 1900+r.IntN(120))
		default:
			p = fmt.Sprintf(`{"loan_id":%q,"item_id":%q,"patron_id":%q,"branch_id":"MAIN","issued_at":%q,"due_date":%q,"format":"book"}`,
				uuid(), uuid(), uuid(), at.Format("2006-01-02T15:04:05.000Z"), at.AddDate(0, 0, 28).Format("2006-01-02"))
		}
		ops = append(ops, replicate.Op{Origin: o, Counter: counters[o], HLC: replicate.MakeTimestamp(at.UnixMilli(), uint16(i%3)),
			Kind: kinds[r.IntN(len(kinds))], Payload: []byte(p), Actor: fmt.Sprintf("patron:%d", r.IntN(50)), Channel: []string{"desk", "web", ""}[r.IntN(3)]})
	}
	return ops
}

func sortedOps(ops []replicate.Op) []replicate.Op {
	out := append([]replicate.Op(nil), ops...)
	byKey := func(a, b replicate.Op) bool {
		if a.Origin != b.Origin {
			return int64(a.Origin) < int64(b.Origin) // SQLite's order of the signed column
		}
		return a.Counter < b.Counter
	}
	sortOps(out, byKey)
	return out
}

// TestCompactOpsMigration: a log written by the version before the compact
// op log (200,000 ops; 20,000 with -short) is converted in place when
// opened, every op reads back equal to what was written, the version
// vector is kept, and the log appends after it.
func TestCompactOpsMigration(t *testing.T) {
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	ops := varied(n, 1)
	if err := replicatetest.WriteV1Log(ctx, path, ops); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	db, err := replicate.OpenDBOptions(ctx, path, nil, replicate.DBOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t.Logf("converted %d ops in %v", n, time.Since(start))
	var got []replicate.Op
	if err := db.ScanOps(ctx, replicate.OpFilter{}, func(op replicate.Op) error {
		got = append(got, op)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := sortedOps(ops)
	if len(got) != len(want) {
		t.Fatalf("%d ops after the migration, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(normal(got[i]), normal(want[i])) {
			t.Fatalf("op %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	cfg := replicate.DefaultConfig(42)
	cfg.Clock = replicatetest.NewClock(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	lg := replicate.NewLog(db, cfg, counting{new(int)})
	if err := lg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	var emitted replicate.Op
	if err := lg.Update(ctx, func(tx *replicate.Tx) error {
		emitted, err = tx.Emit(ctx, "item.set", map[string]string{"item_id": "x"}, "desk1", "desk")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var before uint64
	for _, op := range ops {
		if op.Origin == 42 {
			before = max(before, op.Counter)
		}
	}
	if emitted.Counter != before+1 {
		t.Fatalf("appended counter %d after %d", emitted.Counter, before)
	}
	vv, err := lg.VersionVector(ctx)
	if err != nil || vv[42] != before+1 || vv[0x9f3a_5c2e_11d0_77aa] == 0 {
		t.Fatalf("vector %v %v", vv, err)
	}
	servable, err := lg.Ops(ctx, replicate.VersionVector{42: before}, 0)
	if err != nil || len(servable) != len(want)-int(before)+1 {
		t.Fatalf("%d ops to serve, %v", len(servable), err)
	}
}

// normal makes an empty payload and a nil one equal.
func normal(op replicate.Op) replicate.Op {
	if len(op.Payload) == 0 {
		op.Payload = nil
	}
	return op
}

// TestRewriteOpForgetsOldActor: an op rewritten to another actor reads
// back with the new payload and actor, and the old actor's name (personal
// data) is gone from the database once no op names it; an actor another
// op still names stays.
func TestRewriteOpForgetsOldActor(t *testing.T) {
	ctx := context.Background()
	lg := openLog(t, 7, true, counting{new(int)})
	var a, b replicate.Op
	if err := lg.Update(ctx, func(tx *replicate.Tx) error {
		var err error
		if a, err = tx.Emit(ctx, "k", map[string]string{"card": "2987654321"}, "patron:2987654321", "web"); err != nil {
			return err
		}
		b, err = tx.Emit(ctx, "k", map[string]string{"card": "x"}, "desk1", "desk")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := lg.Update(ctx, func(tx *replicate.Tx) error {
		for _, op := range []replicate.Op{a, b} {
			ok, err := tx.RewriteOp(ctx, op.Origin, op.Counter, []byte(`{"card":""}`), "patron:P1")
			if err != nil || !ok {
				return fmt.Errorf("rewrite: %v %v", ok, err)
			}
		}
		if ok, err := tx.RewriteOp(ctx, 7, 99, nil, ""); ok || err != nil {
			return fmt.Errorf("rewrite of a missing op: %v %v", ok, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	all, err := lg.AllOps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range all {
		if string(op.Payload) != `{"card":""}` || op.Actor != "patron:P1" {
			t.Fatalf("after rewrite: %s %q", op.Payload, op.Actor)
		}
	}
	var names []string
	rows, err := lg.DB().Read().QueryContext(ctx, `SELECT name FROM op_names ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		names = append(names, s)
	}
	rows.Close()
	if want := []string{"desk", "k", "patron:P1", "web"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("op_names %q, want %q", names, want)
	}
}

// TestScanOpsFilters: ScanOps selects by origin and counters, kinds, and
// (HLC, origin, counter) order with a cursor.
func TestScanOpsFilters(t *testing.T) {
	ctx := context.Background()
	lg := openLog(t, 99, true, counting{new(int)})
	ops := varied(300, 3)
	if _, err := lg.Integrate(ctx, ops); err != nil {
		t.Fatal(err)
	}
	count := func(f replicate.OpFilter) int {
		n := 0
		if err := lg.DB().ScanOps(ctx, f, func(replicate.Op) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	want := 0
	for _, op := range ops {
		if op.Kind == "kv" || op.Kind == "item.set" {
			want++
		}
	}
	if got := count(replicate.OpFilter{Kinds: []string{"kv", "item.set"}}); got != want {
		t.Errorf("by kind: %d, want %d", got, want)
	}
	if got := count(replicate.OpFilter{NotKinds: []string{"kv", "item.set"}}); got != len(ops)-want {
		t.Errorf("not kind: %d, want %d", got, len(ops)-want)
	}
	if got := count(replicate.OpFilter{Origin: 42, After: 2, UpTo: 5}); got != 3 {
		t.Errorf("by counters: %d, want 3", got)
	}
	// By place: three ops that are there and one that is not.
	at := []replicate.OpPos{{Origin: ops[0].Origin, Counter: ops[0].Counter}, {Origin: ops[7].Origin, Counter: ops[7].Counter},
		{Origin: ops[299].Origin, Counter: ops[299].Counter}, {Origin: 12345, Counter: 1}}
	var found []replicate.Op
	if err := lg.DB().ScanOps(ctx, replicate.OpFilter{At: at}, func(op replicate.Op) error { found = append(found, op); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(found) != 3 {
		t.Errorf("by place: %d ops, want 3", len(found))
	}
	for _, op := range found {
		if op.Counter != ops[0].Counter && op.Counter != ops[7].Counter && op.Counter != ops[299].Counter {
			t.Errorf("by place: got op %d/%d, not asked for", op.Origin, op.Counter)
		}
	}
	var last replicate.OpPos
	seen := 0
	for {
		page := 0
		if err := lg.DB().ScanOps(ctx, replicate.OpFilter{ByHLC: true, AfterPos: last, Limit: 64}, func(op replicate.Op) error {
			p := replicate.OpPos{HLC: op.HLC, Origin: op.Origin, Counter: op.Counter}
			if p.HLC < last.HLC {
				t.Fatalf("out of HLC order")
			}
			last = p
			page++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		seen += page
		if page < 64 {
			break
		}
	}
	if seen != len(ops) {
		t.Errorf("paged by HLC: %d, want %d", seen, len(ops))
	}
}

func sortOps(ops []replicate.Op, less func(a, b replicate.Op) bool) {
	sort.Slice(ops, func(i, j int) bool { return less(ops[i], ops[j]) })
}

// TestNamesSurviveSavepointRollback: a name interned inside a savepoint
// that is rolled back (a central entry refused) and used again in the same
// transaction is interned again, so every op reads back by its own names.
func TestNamesSurviveSavepointRollback(t *testing.T) {
	ctx := context.Background()
	lg := openLog(t, 7, true, counting{new(int)})
	if err := lg.Update(ctx, func(tx *replicate.Tx) error {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT entry`); err != nil {
			return err
		}
		if _, err := tx.Emit(ctx, "fresh.kind", 1, "fresh-actor", "fresh-channel"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO entry`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `RELEASE entry`); err != nil {
			return err
		}
		_, err := tx.EmitRaw(ctx, replicate.Op{Kind: "fresh.kind", Payload: []byte("2"), Actor: "fresh-actor", Channel: "fresh-channel"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	all, err := lg.AllOps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Kind != "fresh.kind" || all[0].Actor != "fresh-actor" || all[0].Channel != "fresh-channel" {
		t.Fatalf("ops %+v", all)
	}
}
