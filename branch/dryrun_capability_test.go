package branch

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// proposalsTo hands a log's proposals to a channel (central's Raft, here
// only recorded).
type proposalsTo chan []replicate.Op

func (p proposalsTo) ProposeOps(_ context.Context, ops []replicate.Op) error {
	p <- ops
	return nil
}

func (p proposalsTo) ProposeIntegrate(_ context.Context, ops []replicate.Op) (int, error) {
	return len(ops), nil
}

// TestCapabilityCommandReadsItsOwnOpsInADryRun: on a central node a command
// runs first as a dry run, which applies the ops it emitted only before the
// command reads again. A capability's command reads through its Txn, so it
// too sees what it emitted (the Txn's statements run through the op log's
// transaction, not around it).
func TestCapabilityCommandReadsItsOwnOpsInADryRun(t *testing.T) {
	ctx := context.Background()
	capNote := Capability{
		Name:  "notes",
		Kinds: []string{"notes.add"},
		Apply: func(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
			for range ops {
				if _, err := tx.ExecContext(ctx, `INSERT INTO notes (n) VALUES (1)`); err != nil {
					return err
				}
			}
			return nil
		},
		Migrations:  []replicate.Migration{{Component: "notes", Version: 1, SQL: `CREATE TABLE notes (n INTEGER)`}},
		StateTables: []string{"notes"},
	}
	clock := replicatetest.NewClock(time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC))
	db, err := replicate.OpenDB(ctx, filepath.Join(t.TempDir(), "stacks.db"), Migrations(capNote))
	if err != nil {
		t.Fatal(err)
	}
	ap, err := NewApplier(capNote)
	if err != nil {
		t.Fatal(err)
	}
	proposed := make(proposalsTo, 1)
	lg := replicate.NewLog(db, replicate.Config{Node: 1, Clock: clock, MaxBatch: 64, Proposer: proposed}, ap)
	if err := lg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close(); db.Close() })
	s, err := NewService(lg, Config{Branch: "CENTRAL", Location: time.UTC, Clock: clock, Rand: replicatetest.NewRand(1),
		PINCost: 4, Capabilities: []Capability{capNote}})
	if err != nil {
		t.Fatal(err)
	}
	desk := domain.WithActor(ctx, domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	reads := map[string]func(t *Txn) (int, error){
		"QueryRowContext": func(t *Txn) (int, error) {
			var n int
			err := t.QueryRowContext(ctx, `SELECT count(*) FROM notes`).Scan(&n)
			return n, err
		},
		"QueryContext": func(t *Txn) (int, error) {
			rows, err := t.QueryContext(ctx, `SELECT n FROM notes`)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				n++
			}
			return n, rows.Err()
		},
		"ExecContext": func(t *Txn) (int, error) {
			res, err := t.ExecContext(ctx, `UPDATE notes SET n=n`)
			if err != nil {
				return 0, err
			}
			n, err := res.RowsAffected()
			return int(n), err
		},
	}
	for name, read := range reads {
		var seen int
		if err := s.Update(desk, func(t *Txn) error {
			if _, err := t.Emit(ctx, "notes.add", map[string]int{"n": 1}); err != nil {
				return err
			}
			var err error
			seen, err = read(t)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if seen != 1 {
			t.Errorf("%s: the command read %d notes after emitting one, want 1", name, seen)
		}
		if ops := <-proposed; len(ops) != 1 || ops[0].Kind != "notes.add" {
			t.Errorf("%s: proposed %+v", name, ops)
		}
	}
}
