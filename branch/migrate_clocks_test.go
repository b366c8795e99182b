package branch_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// library builds a branch in dir with n items (a tenth of them edited
// later, so their clocks hold two stamps) and closes it.
func library(t *testing.T, dir string, n int) {
	t.Helper()
	e := openEnvWith(t, branchtest.Options{Node: 1, Branch: "MAIN", Dir: dir, Clock: replicatetest.NewClock(monday)})
	e.setup()
	bib := e.title("Large")
	var ids []string
	var batch []domain.NewItem
	for i := 0; i < n; i++ {
		batch = append(batch, domain.NewItem{Barcode: fmt.Sprintf("L%08d", i), BiblioID: bib.BiblioID, ItemType: "BOOK", HomeBranch: "MAIN",
			CallNumber: "823 LAR", PriceCents: int64(i)})
		if len(batch) == 1000 || i == n-1 {
			got, err := e.svc.AddItems(e.ctx, batch)
			mustNoErr(t, err)
			ids = append(ids, got...)
			batch = batch[:0]
		}
	}
	for i := 0; i < n; i += 10 {
		e.clock.Advance(1)
		cn := fmt.Sprintf("823 L%d", i)
		_, err := e.svc.UpdateItem(e.ctx, ids[i], domain.ItemUpdate{CallNumber: &cn})
		mustNoErr(t, err)
	}
	e.log.Close()
	mustNoErr(t, e.db.Close())
}

// copyDB copies the closed database of dir into a new dir.
func copyDB(t *testing.T, dir string) string {
	t.Helper()
	to := t.TempDir()
	for _, f := range []string{"stacks.db", "stacks.db-wal"} {
		src, err := os.Open(filepath.Join(dir, f))
		if os.IsNotExist(err) {
			continue
		}
		mustNoErr(t, err)
		dst, err := os.Create(filepath.Join(to, f))
		mustNoErr(t, err)
		_, err = io.Copy(dst, src)
		mustNoErr(t, err)
		src.Close()
		mustNoErr(t, dst.Close())
	}
	return to
}

// storedClocks reads every LWW row's clocks column: table -> key -> value
// and its SQLite type.
func storedClocks(t *testing.T, path string) map[string]map[string][2]string {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	mustNoErr(t, err)
	defer db.Close()
	out := map[string]map[string][2]string{}
	for table, keys := range branch.LWWTables() {
		rows, err := db.Query("SELECT (" + strings.Join(keys, "||'/'||") + "), clocks, typeof(clocks) FROM " + table)
		mustNoErr(t, err)
		m := map[string][2]string{}
		for rows.Next() {
			var k, v, typ string
			mustNoErr(t, rows.Scan(&k, &v, &typ))
			m[k] = [2]string{v, typ}
		}
		rows.Close()
		out[table] = m
	}
	return out
}

// TestMigrateClocksLarge: migration 100 converts a branch of 100,000 items
// (5,000 with -short) written in the old format in place: every row's
// clocks decode to what its JSON said, byte for byte what a branch born in
// the new format stores; the state hash is the same before and after; and
// the same later writes leave both branches in the same state.
func TestMigrateClocksLarge(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 5000
	}
	ctx := context.Background()
	born := t.TempDir()
	library(t, born, n)
	old := copyDB(t, born)
	mustNoErr(t, branchtest.Downgrade(ctx, filepath.Join(old, "stacks.db")))

	want := storedClocks(t, filepath.Join(born, "stacks.db"))
	legacy := storedClocks(t, filepath.Join(old, "stacks.db"))
	rows := 0
	for table, m := range legacy {
		for k, v := range m {
			rows++
			if v[1] != "text" || !strings.HasPrefix(v[0], "{") {
				t.Fatalf("%s %s: not old-format clocks: %q (%s)", table, k, v[0], v[1])
			}
		}
	}
	if len(legacy["items"]) != n {
		t.Fatalf("%d items", len(legacy["items"]))
	}

	open := func(dir string) *branchtest.Env {
		return branchtest.Open(t, branchtest.Options{Node: 1, Branch: "MAIN", Dir: dir, Clock: replicatetest.NewClock(monday.Add(1e12)), Rand: 9})
	}
	// The old-format branch hashes as the new-format one (an old node
	// hashes its JSON text as it is; a new one hashes clocks as that text).
	hashOld := stateHashFile(t, filepath.Join(old, "stacks.db"))
	if hashNew := stateHashFile(t, filepath.Join(born, "stacks.db")); hashOld != hashNew {
		t.Fatalf("state hash: old format %s, new format %s", hashOld, hashNew)
	}
	a := open(born)
	start := time.Now()
	b := open(old) // runs migration 100
	t.Logf("migration 100 (and the open) took %v", time.Since(start))
	a.Log.Close()
	a.DB.Close()
	b.Log.Close()
	b.DB.Close()
	got := storedClocks(t, filepath.Join(old, "stacks.db"))
	for table, m := range legacy {
		for k, v := range m {
			g := got[table][k]
			if g[1] != "blob" || g[0] != want[table][k][0] {
				t.Fatalf("%s %s: migrated clocks %x (%s), a new branch stores %x", table, k, g[0], g[1], want[table][k][0])
			}
			dec, err := branch.DecodeClocks(table, []byte(g[0]))
			mustNoErr(t, err)
			js, _ := branch.ClocksJSON(table, []byte(g[0]))
			if js != v[0] || len(dec) == 0 && v[0] != "{}" {
				t.Fatalf("%s %s: decodes to %s, was %s", table, k, js, v[0])
			}
		}
	}
	if h := stateHashFile(t, filepath.Join(old, "stacks.db")); h != hashOld {
		t.Fatalf("state hash changed by the migration: %s, was %s", h, hashOld)
	}

	// The same later writes on both: the same state.
	a, b = open(born), open(old)
	for _, e := range []*branchtest.Env{a, b} {
		ctx := branchtest.Admin(ctx)
		items, err := e.Service.Items(ctx, branch.ItemFilter{Limit: 1000})
		mustNoErr(t, err)
		for i, it := range items[:200] {
			e.Clock.Advance(1)
			cn, st := fmt.Sprintf("X%d", i), domain.ItemAvailable
			u := domain.ItemUpdate{CallNumber: &cn}
			if i%3 == 0 {
				u.BaseStatus = &st
			}
			_, err := e.Service.UpdateItem(ctx, it.ItemID, u)
			mustNoErr(t, err)
		}
	}
	hA, err := a.Service.StateHash(ctx)
	mustNoErr(t, err)
	hB, err := b.Service.StateHash(ctx)
	mustNoErr(t, err)
	if hA != hB {
		t.Fatalf("after the same writes: never migrated %s, migrated %s", hA, hB)
	}
	for _, e := range []*branchtest.Env{a, b} {
		e.Log.Close()
		mustNoErr(t, e.DB.Close())
	}
	if !mapsEqual(storedClocks(t, filepath.Join(born, "stacks.db")), storedClocks(t, filepath.Join(old, "stacks.db"))) {
		t.Fatal("after the same writes, the clocks differ byte for byte")
	}
	t.Logf("%d rows converted (%d items)", rows, n)
}

// stateHashFile is the state hash of the LWW tables of a closed database.
func stateHashFile(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	mustNoErr(t, err)
	defer db.Close()
	tables := slices.Sorted(maps.Keys(branch.LWWTables()))
	h, err := replicate.StateHash(context.Background(), db, append(tables, "loans"))
	mustNoErr(t, err)
	return h
}

// TestMigrateClocksBadRow: a row whose stored clocks are not clocks fails
// migration 100 with an error naming its table and key, and the database
// is left as it was (still in the old format, 100 not run).
func TestMigrateClocksBadRow(t *testing.T) {
	ctx := context.Background()
	for _, bad := range []string{`{"barcode":"not a stamp"}`, `{"barcode":`, `[1,2]`, `{"barcode":"01A24235F45A000075DF51F2CCD5E8F9"}`} {
		dir := t.TempDir()
		library(t, dir, 10)
		path := filepath.Join(dir, "stacks.db")
		mustNoErr(t, branchtest.Downgrade(ctx, path))
		raw, err := sql.Open("sqlite3", path)
		mustNoErr(t, err)
		var id string
		mustNoErr(t, raw.QueryRow(`SELECT item_id FROM items ORDER BY rowid LIMIT 1 OFFSET 5`).Scan(&id))
		_, err = raw.Exec(`UPDATE items SET clocks=? WHERE item_id=?`, bad, id)
		mustNoErr(t, err)
		raw.Close()
		before := storedClocks(t, path)

		_, err = replicate.OpenDB(ctx, path, branch.Migrations(branchtest.Capabilities()...))
		if err == nil || !strings.Contains(err.Error(), "items") || !strings.Contains(err.Error(), "item_id="+id) {
			t.Fatalf("%s: want an error naming items and item_id=%s, got %v", bad, id, err)
		}
		t.Logf("%s: %v", bad, err)
		if after := storedClocks(t, path); !mapsEqual(before, after) {
			t.Fatalf("%s: the failed migration changed the database", bad)
		}
		raw, _ = sql.Open("sqlite3", path)
		var n int
		raw.QueryRow(`SELECT count(*) FROM schema_migrations WHERE component='branch' AND version=100`).Scan(&n)
		raw.Close()
		if n != 0 {
			t.Fatalf("%s: migration 100 recorded as run", bad)
		}
	}
}

func mapsEqual(a, b map[string]map[string][2]string) bool {
	return maps.EqualFunc(a, b, func(x, y map[string][2]string) bool { return maps.Equal(x, y) })
}
