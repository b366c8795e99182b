package replicate_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"stacks/replicate"
)

// TestStableVector: the minimum over self and the replicas heard from
// within the horizon; a silent replica past the horizon is left out (and
// named), a new registration (empty vector, seen now) holds every origin
// back.
func TestStableVector(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	self := replicate.VersionVector{1: 100, 2: 50, 3: 10}
	day := 24 * time.Hour
	tests := []struct {
		name     string
		replicas []replicate.Replica
		want     replicate.VersionVector
		excluded []string
	}{
		{"OK alone", nil, replicate.VersionVector{1: 100, 2: 50, 3: 10}, nil},
		{"OK minimum", []replicate.Replica{
			{Node: "a", Vector: replicate.VersionVector{1: 80, 2: 60, 3: 10}, LastSeen: now.Add(-time.Hour)},
			{Node: "b", Vector: replicate.VersionVector{1: 90, 2: 40}, LastSeen: now.Add(-29 * day)},
		}, replicate.VersionVector{1: 80, 2: 40}, nil},
		{"silent past horizon excluded", []replicate.Replica{
			{Node: "a", Vector: replicate.VersionVector{1: 80, 2: 60, 3: 10}, LastSeen: now.Add(-time.Hour)},
			{Node: "old", Vector: replicate.VersionVector{1: 5}, LastSeen: now.Add(-31 * day)},
		}, replicate.VersionVector{1: 80, 2: 50, 3: 10}, []string{"old"}},
		{"new registration holds it back", []replicate.Replica{
			{Node: "a", Vector: replicate.VersionVector{1: 80, 2: 60, 3: 10}, LastSeen: now},
			{Node: "new", Vector: replicate.VersionVector{}, LastSeen: now},
		}, replicate.VersionVector{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ex := replicate.StableVector(self, tc.replicas, now, 30*day)
			if !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(ex, tc.excluded) {
				t.Fatalf("got %v excluded %v, want %v excluded %v", got, ex, tc.want, tc.excluded)
			}
		})
	}
}

// TestCompactFoldsStableOps: Compact deletes ops at or below the stable
// vector (and the log's own vector) in batches, keeps the version vector,
// refuses a pull from below the floor with ErrCompacted, skips a compacted
// op sent again, and a reopened log does not reuse its compacted counters.
func TestCompactFoldsStableOps(t *testing.T) {
	ctx := context.Background()
	applied := 0
	lg := openLog(t, 7, true, counting{&applied})
	if _, err := lg.Integrate(ctx, append(opsOf(1, 1, 30), opsOf(2, 1, 10)...)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := lg.Update(ctx, func(tx *replicate.Tx) error {
			_, err := tx.Emit(ctx, "k", map[string]int{"i": i}, "", "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	stable := replicate.VersionVector{1: 25, 2: 40, 7: 5} // 2: beyond what we hold
	total := 0
	for rounds := 0; ; rounds++ {
		res, err := lg.Compact(ctx, stable, 8)
		if err != nil {
			t.Fatal(err)
		}
		if res.Ops > 8 {
			t.Fatalf("a batch of 8 deleted %d ops", res.Ops)
		}
		total += res.Ops
		if !res.More {
			break
		}
		if rounds > 10 {
			t.Fatal("compaction does not finish")
		}
	}
	if total != 25+10+5 {
		t.Fatalf("compacted %d ops, want 40", total)
	}
	floors, _ := lg.CompactedVector(ctx)
	if want := (replicate.VersionVector{1: 25, 2: 10, 7: 5}); !reflect.DeepEqual(floors, want) {
		t.Fatalf("floors %v, want %v", floors, want)
	}
	vv, _ := lg.VersionVector(ctx)
	if want := (replicate.VersionVector{1: 30, 2: 10, 7: 5}); !reflect.DeepEqual(vv, want) {
		t.Fatalf("vector %v, want %v", vv, want)
	}
	// A peer at or above the floors is served the rest.
	ops, err := lg.Ops(ctx, replicate.VersionVector{1: 25, 2: 10, 7: 5}, 0)
	if err != nil || len(ops) != 5 {
		t.Fatalf("ops above the floor: %d, %v", len(ops), err)
	}
	// One below a floor is told so.
	_, err = lg.Ops(ctx, replicate.VersionVector{1: 20, 2: 10, 7: 5}, 0)
	var ce *replicate.CompactedError
	if !errors.Is(err, replicate.ErrCompacted) || !errors.As(err, &ce) || ce.Origin != 1 || ce.Have != 20 || ce.Floor != 25 {
		t.Fatalf("ops below the floor: %v", err)
	}
	// A compacted op arriving again is not applied twice.
	before := applied
	if n, err := lg.Integrate(ctx, opsOf(1, 1, 30)); err != nil || n != 0 || applied != before {
		t.Fatalf("compacted ops integrated again: %d, %v", n, err)
	}
	// The next local op takes counter 6, not 1.
	var op replicate.Op
	if err := lg.Update(ctx, func(tx *replicate.Tx) error {
		var err error
		op, err = tx.Emit(ctx, "k", 1, "", "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if op.Counter != 6 {
		t.Fatalf("next counter %d, want 6", op.Counter)
	}
}

// TestCompactReopenKeepsCounter: a log whose own ops were all compacted
// away reopens with its counter and clock past them.
func TestCompactReopenKeepsCounter(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/n.db"
	open := func() (*replicate.DB, *replicate.Log) {
		db, err := replicate.OpenDBOptions(ctx, path, nil, replicate.DBOptions{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		lg := replicate.NewLog(db, replicate.DefaultConfig(3), counting{&n})
		if err := lg.Open(ctx); err != nil {
			t.Fatal(err)
		}
		return db, lg
	}
	db, lg := open()
	var last replicate.Op
	for i := 0; i < 3; i++ {
		lg.Update(ctx, func(tx *replicate.Tx) error {
			var err error
			last, err = tx.Emit(ctx, "k", i, "", "")
			return err
		})
	}
	if _, err := lg.Compact(ctx, replicate.VersionVector{3: 3}, 100); err != nil {
		t.Fatal(err)
	}
	lg.Close()
	db.Close()
	db, lg = open()
	defer db.Close()
	defer lg.Close()
	var op replicate.Op
	if err := lg.Update(ctx, func(tx *replicate.Tx) error {
		var err error
		op, err = tx.Emit(ctx, "k", 9, "", "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if op.Counter != 4 || op.HLC <= last.HLC {
		t.Fatalf("after reopening: counter %d hlc %v, last was %d %v", op.Counter, op.HLC, last.Counter, last.HLC)
	}
}

// TestSeenReplicasKeepsNewest: the kept vector of a replica only grows,
// and its last contact only moves forward.
func TestSeenReplicasKeepsNewest(t *testing.T) {
	ctx := context.Background()
	n := 0
	lg := openLog(t, 9, true, counting{&n})
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := lg.SeenReplicas(ctx, []replicate.Replica{{Node: "a", Vector: replicate.VersionVector{1: 10, 2: 5}, LastSeen: t0.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if err := lg.SeenReplicas(ctx, []replicate.Replica{{Node: "a", Vector: replicate.VersionVector{1: 8, 3: 1}, LastSeen: t0}}); err != nil {
		t.Fatal(err)
	}
	got, err := lg.KnownReplicas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := replicate.Replica{Node: "a", Vector: replicate.VersionVector{1: 10, 2: 5, 3: 1}, LastSeen: t0.Add(time.Hour)}
	if !reflect.DeepEqual(got["a"], want) {
		t.Fatalf("got %+v, want %+v", got["a"], want)
	}
}
