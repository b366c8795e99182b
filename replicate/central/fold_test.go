package central

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"stacks/replicate"
)

func newTestStateMachine(t *testing.T) (*StateMachine, *replicate.DB) {
	t.Helper()
	return newTestStateMachineApplier(t, kvApplier{})
}

// newTestStateMachineApplier is a state machine over a new database whose
// log applies ops with ap.
func newTestStateMachineApplier(t *testing.T, ap replicate.Applier) (*StateMachine, *replicate.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := replicate.OpenDBOptions(ctx, filepath.Join(t.TempDir(), "stacks.db"), append([]replicate.Migration{kvMigration}, Migrations()...), DBOptions())
	if err != nil {
		t.Fatal(err)
	}
	log := replicate.NewLog(db, replicate.DefaultConfig(centralOrigin), ap)
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

// probeApplier is kvApplier with one more kind, "probe", whose apply
// notes which SQLite temporary files the process has open at that moment.
type probeApplier struct {
	kvApplier
	open *[]string
}

func (p probeApplier) Apply(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	if op.Kind != "probe" {
		return p.kvApplier.Apply(ctx, tx, op)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range ents {
		if to, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.Contains(to, "etilqs_") {
			*p.open = append(*p.open, to)
		}
	}
	return nil
}

// TestBatchAppliedWithoutSpilling: a batch of ops entries that all apply
// is applied without a savepoint, so the page images SQLite would keep for
// rolling it back never spill to a temporary file, however many pages the
// batch touches (with a savepoint around the run they did past ~16 pages:
// a file created, written, unlinked and closed a batch).
func TestBatchAppliedWithoutSpilling(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/fd")
	}
	ctx := context.Background()
	var open []string
	sm, db := newTestStateMachineApplier(t, probeApplier{open: &open})
	put := func(hlc replicate.Timestamp, k, v string) replicate.Op {
		return replicate.Op{Origin: centralOrigin, Counter: 1, HLC: hlc, Kind: "kv", Payload: []byte(fmt.Sprintf(`{"K":%q,"V":%q}`, k, v)), Actor: "test", Channel: "api"}
	}
	var index uint64
	batch := func(v string, probe bool) []Entry {
		var es []Entry
		for i := 0; i < 100; i++ {
			index++
			es = append(es, Entry{Index: index, Term: 1, Data: LocalEntry([]replicate.Op{put(replicate.Timestamp(index), fmt.Sprint("key", i), strings.Repeat(v, 800))})})
		}
		if probe {
			index++
			es = append(es, Entry{Index: index, Term: 1, Data: LocalEntry([]replicate.Op{{Origin: centralOrigin, Counter: 1, HLC: replicate.Timestamp(index), Kind: "probe", Payload: []byte(`{}`)}})})
		}
		return es
	}
	// Rows on many pages first (a savepoint keeps images of pages that
	// existed before it), then a batch that rewrites them all.
	for _, res := range sm.Apply(batch("a", false)) {
		if res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	for _, res := range sm.Apply(batch("b", true)) {
		if res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	if len(open) > 0 {
		t.Errorf("applying the batch opened temporary files: %v", open)
	}
	var v string
	if err := db.Read().QueryRowContext(ctx, `SELECT v FROM kv WHERE k='key99'`).Scan(&v); err != nil || v != strings.Repeat("b", 800) {
		t.Errorf("key99 = %.10q… (%v), want the second batch's value", v, err)
	}
}
