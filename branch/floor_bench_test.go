package branch_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/replicate"
)

// BenchmarkStorageFloor measures what SQLite alone costs on this machine
// for BenchmarkApplyRemote's mix (item creations and checkouts of those
// items, 1,024 ops per durable transaction): hand-built multi-row
// statements with realistic sizes (36-character IDs, ~250-byte payloads,
// 32-character stamps), no decoding, no merge reads, no appliers. It is a
// floor for the apply rate, not a rival implementation:
//
//   - layout=ours: our schema as migrated: an ops row per op, every
//     index, each row's clocks in the binary form of migration 100 (one
//     group: a field mask and a 16-byte stamp, 19 bytes);
//   - layout=ours-json: the same before migration 100, clocks as JSON text
//     (a 32-character stamp per field, ~450 bytes);
//   - layout=frames: the op log stored as one row per frame, not per op;
//   - layout=frames+noindex: also no secondary indexes on items and loans
//     (which the desk's lookups by barcode, title, status and patron
//     need).
//
// If even the last stays under an apply-rate target, no applier on that
// layout and machine can reach it.
func BenchmarkStorageFloor(b *testing.B) {
	for _, l := range []struct {
		name                  string
		frames, json, noindex bool
	}{
		{"layout=ours", false, false, false},
		{"layout=ours-json", false, true, false},
		{"layout=frames", true, false, false},
		{"layout=frames+noindex", true, false, true},
	} {
		b.Run(l.name, func(b *testing.B) { storageFloor(b, l.frames, l.json, l.noindex) })
	}
}

func storageFloor(b *testing.B, frames, jsonClocks, noindex bool) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "floor.db")
	mig, err := replicate.OpenDB(ctx, path, branch.Migrations())
	mustNoErr(b, err)
	mustNoErr(b, mig.Close())
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_txlock=immediate&_cache_size=-16000")
	mustNoErr(b, err)
	db.SetMaxOpenConns(1)
	defer db.Close()
	ddl := []string{`CREATE TABLE frames (origin INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,
		body BLOB NOT NULL, PRIMARY KEY (origin, first)) WITHOUT ROWID`,
		// The op log's first layout (replicate's migration 1), which the
		// floor has always been measured with.
		`CREATE TABLE ops_v1 (origin INTEGER NOT NULL, counter INTEGER NOT NULL, hlc INTEGER NOT NULL, kind TEXT NOT NULL,
		payload BLOB NOT NULL, actor TEXT NOT NULL DEFAULT '', channel TEXT NOT NULL DEFAULT '', PRIMARY KEY (origin, counter)) WITHOUT ROWID`}
	if noindex {
		for _, ix := range []string{"items_barcode", "items_biblio", "items_status", "loans_patron", "loans_fork"} {
			ddl = append(ddl, "DROP INDEX "+ix)
		}
	}
	for _, s := range ddl {
		_, err := db.Exec(s)
		mustNoErr(b, err)
	}

	const perTx, chunk = 1024, 128
	stamp := fmt.Sprintf("%016x%016x", uint64(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC).UnixNano()), uint64(7))
	// Binary clocks: format 1, the mask of the 11 fields (uvarint 0x7ff),
	// the stamp's 16 bytes.
	raw, err := hex.DecodeString(stamp)
	mustNoErr(b, err)
	var clocks any = append([]byte{0x01, 0xff, 0x0f}, raw...)
	if jsonClocks {
		var parts []string
		for _, f := range []string{"barcode", "base_status", "biblio_id", "call_number", "home_branch", "item_type",
			"location", "price_cents", "properties", "seen_at", "transit_to"} {
			parts = append(parts, `"`+f+`":"`+stamp+`"`)
		}
		clocks = "{" + strings.Join(parts, ",") + "}"
	}
	itemPayload, loanPayload := []byte(strings.Repeat("i", 279)), []byte(strings.Repeat("l", 232))
	values := func(width int) string {
		row := "(" + strings.TrimSuffix(strings.Repeat("?,", width), ",") + ")"
		return strings.TrimSuffix(strings.Repeat(row+",", chunk), ",")
	}
	prep := func(q string) *sql.Stmt {
		s, err := db.Prepare(q)
		mustNoErr(b, err)
		return s
	}
	insOps := prep("INSERT INTO ops_v1 (origin,counter,hlc,kind,payload,actor,channel) VALUES " + values(7))
	insFrame := prep("INSERT INTO frames VALUES (?,?,?,?)")
	insItems := prep("INSERT INTO items (item_id,barcode,biblio_id,home_branch,item_type,call_number,price_cents,clocks) VALUES " + values(8))
	insLoans := prep("INSERT INTO loans (loan_id,item_id,patron_id,branch_id,issued_at,due_date,due_stamp,issued) VALUES " + values(8))
	status := prep("UPDATE items SET status='checked_out' FROM json_each(?) AS j WHERE items.item_id=j.value AND status<>'checked_out'")
	id := func(kind byte, n int) string {
		return fmt.Sprintf("01a207d9-2100-7%c%02x-%04x-%012x", kind, n>>24&0xff, n>>12&0xfff, n)
	}

	type batch struct {
		ops, items, loans [][]any
		ids               []string // the items created, for the status update
	}
	build := func(first int) batch {
		var bt batch
		for c := 0; c < perTx; c += chunk {
			var ops []any
			for i := c; i < c+chunk; i++ {
				kind, p := "item.set", itemPayload
				if i >= perTx/2 {
					kind, p = "loan.checkout", loanPayload
				}
				ops = append(ops, 7, first+i+1, first+i+1, kind, p, "clerk", "desk")
			}
			bt.ops = append(bt.ops, ops)
		}
		for c := 0; c < perTx/2; c += chunk {
			var items, loans []any
			for i := first + c; i < first+c+chunk; i++ {
				bt.ids = append(bt.ids, id('1', i))
				items = append(items, id('1', i), fmt.Sprintf("BENCH%08d", i), id('2', i/3), "MAIN", "BOOK", "823.914 SMI", 2500, clocks)
				loans = append(loans, id('3', i), id('1', i), id('4', i%16), "MAIN", "2026-11-23T10:00:00.000Z", "2026-12-14", stamp, 1)
			}
			bt.items, bt.loans = append(bt.items, items), append(bt.loans, loans)
		}
		return bt
	}

	b.ResetTimer()
	var wall, cpu time.Duration
	done := 0
	for done < b.N {
		b.StopTimer()
		bt := build(done)
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU()
		tx, err := db.Begin()
		mustNoErr(b, err)
		if frames {
			_, err = tx.Stmt(insFrame).Exec(7, done+1, done+perTx, make([]byte, 30*perTx))
			mustNoErr(b, err)
		} else {
			for _, args := range bt.ops {
				_, err = tx.Stmt(insOps).Exec(args...)
				mustNoErr(b, err)
			}
		}
		for i := range bt.items {
			_, err = tx.Stmt(insItems).Exec(bt.items[i]...)
			mustNoErr(b, err)
			_, err = tx.Stmt(insLoans).Exec(bt.loans[i]...)
			mustNoErr(b, err)
		}
		_, err = tx.Stmt(status).Exec(replicate.JSONList(bt.ids))
		mustNoErr(b, err)
		mustNoErr(b, tx.Commit())
		wall += time.Since(start)
		cpu += processCPU() - cpu0
		done += perTx
	}
	b.ReportMetric(float64(done)/wall.Seconds(), "ops/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/1000/float64(done), "cpu-µs/op")
}
