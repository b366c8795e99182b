package snapshot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"stacks/replicate"
	"stacks/replicate/replicatetest"
	"stacks/replicate/snapshot"
)

// TestSnapshotAcrossOpLogVersions: a node of the version before the
// compact op log (which knows replicate's migrations 1 and 2) is told that
// a new node's snapshot has run replicate/3, which it does not know, and
// so refuses it; a new node installs an old node's snapshot and converts
// its op log when it opens it, every op read back as the old node wrote it.
func TestSnapshotAcrossOpLogVersions(t *testing.T) {
	ctx := context.Background()
	p := newPeer(t)
	p.write(t, 50, "k")
	dir := t.TempDir()
	if _, err := snapshot.Fetch(ctx, snapshot.FetchConfig{Peer: p.srv.URL, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	old := append(replicate.CoreMigrationsUpTo(2), migrations...)
	newer, err := snapshot.UnknownMigrations(ctx, filepath.Join(dir, snapshot.PartFile), old, scrub)
	if err != nil || !slices.Contains(newer, "replicate/3") {
		t.Fatalf("an old node is told the snapshot ran %v (%v), want replicate/3 among them", newer, err)
	}

	// An old node's snapshot: its database as the old version wrote it.
	var ops []replicate.Op
	for i := uint64(1); i <= 300; i++ {
		ops = append(ops, replicate.Op{Origin: 0xa1, Counter: i, HLC: replicate.Timestamp(1_000_000 + i), Kind: "kv.set",
			Payload: []byte(fmt.Sprintf(`{"K":"k%d","V":"01a02e7d-ee00-7937-b1ca-060bf01a18cf"}`, i)), Actor: "old", Channel: "api"})
	}
	odir := t.TempDir()
	if err := replicatetest.WriteV1Log(ctx, filepath.Join(odir, snapshot.PartFile), ops); err != nil {
		t.Fatal(err)
	}
	if newer, err := snapshot.UnknownMigrations(ctx, filepath.Join(odir, snapshot.PartFile), replicate.CoreMigrations(), snapshot.Scrub{}); err != nil || len(newer) != 0 {
		t.Fatalf("a new node is told an old snapshot ran %v %v", newer, err)
	}
	dbPath := filepath.Join(t.TempDir(), "new.db")
	if _, err := snapshot.Install(ctx, odir, dbPath, snapshot.Scrub{}, nil); err != nil {
		t.Fatal(err)
	}
	db, err := replicate.OpenDBOptions(ctx, dbPath, nil, replicate.DBOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got []replicate.Op
	if err := db.ScanOps(ctx, replicate.OpFilter{}, func(op replicate.Op) error { got = append(got, op); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ops) {
		t.Fatalf("%d ops after install and migration, want the old node's %d", len(got), len(ops))
	}
}
