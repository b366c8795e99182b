package branch

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// compactClocksVersion is the migration that converts the clocks of every
// last-writer-wins row from JSON text to the binary form (clocks.go).
const compactClocksVersion = 100

// migrateClocks converts every row's clocks in place, table by table in
// rowid order, a chunk at a time. A row whose clocks are not a JSON object
// of field to stamp (32 lowercase hex digits) fails the migration, naming
// the table and the row's key; the migration's transaction is then rolled
// back and the database left as it was. A row already binary is skipped,
// so the conversion is idempotent.
func migrateClocks(ctx context.Context, tx *sql.Tx) error {
	tables := slices.Sorted(maps.Keys(lwwLayoutByTable))
	for _, name := range tables {
		if err := migrateTableClocks(ctx, tx, lwwLayoutByTable[name]); err != nil {
			return err
		}
	}
	return nil
}

func migrateTableClocks(ctx context.Context, tx *sql.Tx, l *lwwLayout) error {
	const chunk = 2000
	t := l.t
	sel := "SELECT rowid, clocks, " + strings.Join(t.keys, ",") + " FROM " + t.name + " WHERE rowid>? ORDER BY rowid LIMIT " + fmt.Sprint(chunk)
	upd, err := tx.PrepareContext(ctx, "UPDATE "+t.name+" SET clocks=? WHERE rowid=?")
	if err != nil {
		return fmt.Errorf("branch: convert %s clocks: %w", t.name, err)
	}
	defer upd.Close()
	type conv struct {
		rowid int64
		enc   []byte
	}
	var after int64
	for {
		rows, err := tx.QueryContext(ctx, sel, after)
		if err != nil {
			return fmt.Errorf("branch: convert %s clocks: %w", t.name, err)
		}
		var batch []conv
		keys := make([]any, len(t.keys))
		var stored []byte
		var rowid int64
		dest := []any{&rowid, &stored}
		for i := range keys {
			dest = append(dest, &keys[i])
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			n++
			after = rowid
			if len(stored) > 0 && stored[0] == clocksFormat {
				continue
			}
			enc, err := convertClocks(l, stored)
			if err != nil {
				rows.Close()
				return fmt.Errorf("branch: bad stored clocks in %s row %s: %w", t.name, describeKey(t.keys, keys), err)
			}
			batch = append(batch, conv{rowid, enc})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range batch {
			if _, err := upd.ExecContext(ctx, c.enc, c.rowid); err != nil {
				return fmt.Errorf("branch: convert %s clocks: %w", t.name, err)
			}
		}
		if n < chunk {
			return nil
		}
	}
}

// convertClocks encodes a row's legacy JSON clocks, strictly: an object of
// field name to stamp, every stamp 32 lowercase hex digits; and checks that
// the result decodes to the same clocks.
func convertClocks(l *lwwLayout, text []byte) ([]byte, error) {
	var m map[string]string
	if len(text) == 0 {
		m = map[string]string{}
	} else if err := json.Unmarshal(text, &m); err != nil || m == nil {
		if err == nil {
			err = fmt.Errorf("not a JSON object")
		}
		return nil, fmt.Errorf("clocks %.80q: %w", text, err)
	}
	r := lwwRow{clocks: make([]string, len(l.names))}
	for f, st := range m {
		if i, ok := l.index[f]; ok {
			r.clocks[i] = st
			continue
		}
		if r.extra == nil {
			r.extra = map[string]string{}
		}
		r.extra[f] = st
	}
	enc, err := l.encodeClocks(r.clocks, r.extra)
	if err != nil {
		return nil, err
	}
	back, err := DecodeClocks(l.t.name, enc)
	if err != nil {
		return nil, err
	}
	if !maps.Equal(back, m) {
		return nil, fmt.Errorf("clocks %.80q do not survive their encoding", text)
	}
	return enc, nil
}

// describeKey is a row's key as "name=value, ...".
func describeKey(names []string, vals []any) string {
	parts := make([]string, len(names))
	for i, n := range names {
		v := vals[i]
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		parts[i] = fmt.Sprintf("%s=%v", n, v)
	}
	return strings.Join(parts, ", ")
}
