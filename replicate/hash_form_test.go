package replicate_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"stacks/replicate"
)

// TestHashForm: a column with a registered hash form hashes as the form's
// value, so two encodings of one state hash alike; a value the form
// rejects fails the hash naming table and column.
func TestHashForm(t *testing.T) {
	replicate.RegisterHashForm("hashform_v", func(table string, v any) (any, error) {
		b, ok := v.([]byte)
		if !ok {
			return v, nil
		}
		if string(b) == "bad" {
			return nil, errors.New("not a value")
		}
		return strings.ToUpper(string(b)), nil // the blob form holds lower case
	})
	ctx := context.Background()
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE a (k TEXT PRIMARY KEY, hashform_v TEXT)`, `CREATE TABLE b (k TEXT PRIMARY KEY, hashform_v TEXT)`,
		`INSERT INTO a VALUES ('1', 'ABC'), ('2', 'XY')`, `INSERT INTO b VALUES ('1', x'616263'), ('2', 'XY')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	ha, err := replicate.StateHash(ctx, db, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	db.Exec(`ALTER TABLE b RENAME TO c`)
	db.Exec(`ALTER TABLE a RENAME TO b`)
	db.Exec(`ALTER TABLE c RENAME TO a`) // a now holds the blob form, under the same name
	hb, err := replicate.StateHash(ctx, db, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if ha != hb {
		t.Fatalf("text form %s, blob form %s", ha, hb)
	}
	db.Exec(`UPDATE a SET hashform_v='XYZ' WHERE k='2'`)
	if hc, _ := replicate.StateHash(ctx, db, []string{"a"}); hc == ha {
		t.Fatal("a changed value hashes alike")
	}
	db.Exec(`UPDATE a SET hashform_v=x'626164' WHERE k='2'`)
	if _, err := replicate.StateHash(ctx, db, []string{"a"}); err == nil || !strings.Contains(err.Error(), "a.hashform_v") {
		t.Fatalf("bad value: %v", err)
	}
}
