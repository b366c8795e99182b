package central

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"stacks/replicate"
)

func newTestStateMachine(t *testing.T) (*StateMachine, *replicate.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := replicate.OpenDBOptions(ctx, filepath.Join(t.TempDir(), "stacks.db"), append([]replicate.Migration{kvMigration}, Migrations()...), DBOptions())
	if err != nil {
		t.Fatal(err)
	}
	log := replicate.NewLog(db, replicate.DefaultConfig(centralOrigin), kvApplier{})
	if err := log.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close(); db.Close() })
	sm := NewStateMachine(log, db, nil)
	if _, err := sm.LoadApplied(ctx); err != nil {
		t.Fatal(err)
	}
	return sm, db
}

// TestRunOfLocalEntriesAppliedAsOne: committed entries of the central's
// own commands that arrive together (concurrent commands in one Raft batch)
// are applied as one batch of ops, with the same results, op IDs, stamps
// and state as one by one; a run holding an entry every replica refuses
// is applied one by one, so that only that entry fails.
func TestRunOfLocalEntriesAppliedAsOne(t *testing.T) {
	// As a command's dry run emits them: origin and counters are assigned
	// again when the entry is applied.
	kv := func(hlc replicate.Timestamp, k, v string) replicate.Op {
		return replicate.Op{Origin: centralOrigin, Counter: 1, HLC: hlc, Kind: "kv", Payload: []byte(fmt.Sprintf(`{"K":%q,"V":%q}`, k, v)), Actor: "test", Channel: "api"}
	}
	bad := replicate.Op{Origin: centralOrigin, Counter: 1, HLC: 103, Kind: "kv", Payload: []byte(`not json`), Actor: "test", Channel: "api"}
	foreign := replicate.Op{Origin: 0xb1, Counter: 1, HLC: 104, Kind: "kv", Payload: []byte(`{"K":"b","V":"from-branch"}`)}
	datas := [][]byte{
		LocalEntry([]replicate.Op{kv(101, "a", "1")}),
		LocalEntry([]replicate.Op{kv(102, "b", "2")}),
		LocalEntry([]replicate.Op{bad}), // refused: its run is applied entry by entry
		LocalEntry([]replicate.Op{kv(105, "a", "3")}),
		IntegrateEntry([]replicate.Op{foreign}),
		LocalEntry([]replicate.Op{kv(106, "c", "4")}),
		LocalEntry([]replicate.Op{kv(107, "d", "5"), kv(108, "e", "6")}),
		LocalEntry([]replicate.Op{kv(109, "c", "7")}),
	}
	var entries []Entry
	for i, d := range datas {
		entries = append(entries, Entry{Index: uint64(i + 1), Term: 1, Data: d})
	}

	together, dbT := newTestStateMachine(t)
	got := together.Apply(entries)
	alone, dbA := newTestStateMachine(t)
	var want []EntryResult
	for _, e := range entries {
		want = append(want, alone.Apply([]Entry{e})...)
	}

	for i := range entries {
		g, w := got[i], want[i]
		if (g.Err == nil) != (w.Err == nil) || g.Added != w.Added || g.Skipped != w.Skipped || !reflect.DeepEqual(g.Ops, w.Ops) {
			t.Errorf("entry %d: together %+v, one by one %+v", i+1, g, w)
		}
	}
	if got[2].Err == nil {
		t.Error("the refused entry was applied")
	}
	if got[0].Err != nil || got[1].Err != nil || got[3].Err != nil {
		t.Errorf("entries of the refused one's run failed with it: %v %v %v", got[0].Err, got[1].Err, got[3].Err)
	}
	if n := together.f.folded.Load(); n != 3 {
		t.Errorf("%d entries applied as one run, want 3 (entries 6-8)", n)
	}
	if together.Applied() != uint64(len(entries)) || alone.Applied() != uint64(len(entries)) {
		t.Errorf("applied %d and %d, want %d", together.Applied(), alone.Applied(), len(entries))
	}
	ctx := context.Background()
	hT, err := replicate.StateHash(ctx, dbT.Read(), []string{"kv"})
	if err != nil {
		t.Fatal(err)
	}
	hA, _ := replicate.StateHash(ctx, dbA.Read(), []string{"kv"})
	if hT != hA {
		t.Errorf("state differs: together %s, one by one %s", hT, hA)
	}
	opsOf := func(db *replicate.DB) []string {
		rows, err := db.Read().Query(`SELECT origin, counter, hlc, kind, hex(payload) FROM ops ORDER BY origin, counter`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var o, c, h int64
			var k, p string
			rows.Scan(&o, &c, &h, &k, &p)
			out = append(out, fmt.Sprint(o, c, h, k, p))
		}
		return out
	}
	if oT, oA := opsOf(dbT), opsOf(dbA); !reflect.DeepEqual(oT, oA) || len(oT) != 8 {
		t.Errorf("op logs differ:\ntogether   %v\none by one %v", oT, oA)
	}
}
