package branch

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// TestPolicySnapshotRollback: a command that changes the rules, fills the
// policy snapshot with them and then fails leaves no trace: the next
// checkout sees the rules as they were.
func TestPolicySnapshotRollback(t *testing.T) {
	ctx := context.Background()
	clock := replicatetest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	db, err := replicate.OpenDB(ctx, filepath.Join(t.TempDir(), "stacks.db"), Migrations())
	if err != nil {
		t.Fatal(err)
	}
	lg := replicate.NewLog(db, replicate.Config{Node: 1, Clock: clock, MaxBatch: 64}, Applier{})
	if err := lg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close(); db.Close() })
	s, err := NewService(lg, Config{Branch: "MAIN", Location: time.UTC, Clock: clock, Rand: replicatetest.NewRand(1), PINCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	desk := domain.WithActor(ctx, domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.SetLibrary(desk, domain.Library{BranchID: "MAIN", Name: "Main"}))
	must(s.SetCategory(desk, domain.Category{Category: "ADULT", MaxFineCents: 1000, EnrolmentMonths: 12}))
	must(s.SetItemType(desk, domain.ItemType{ItemType: "BOOK"}))
	must(s.SetRule(desk, domain.Rule{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 21, Renewals: 2, MaxLoans: 5, HoldsAllowed: true}))
	_, err = s.RegisterPatron(desk, domain.NewPatron{Cardnumber: "1001", Surname: "Ron", Category: "ADULT", PIN: "1234", HomeBranch: "MAIN"})
	must(err)
	b, err := s.AddBiblio(desk, domain.NewBiblio{Title: "Emma", Authors: []string{"Austen, J."}, Format: "book"})
	must(err)
	for _, bc := range []string{"I1", "I2"} {
		_, err := s.AddItem(desk, domain.NewItem{Barcode: bc, BiblioID: b.BiblioID, ItemType: "BOOK", HomeBranch: "MAIN"})
		must(err)
	}
	errUndo := errors.New("undo")
	err = s.update(desk, func(t *txn) error {
		if _, err := t.emit(desk, KindRuleSet, fieldsOp{Key: map[string]any{"branch_id": "*", "category": "*", "item_type": "*"},
			Fields: map[string]any{"loan_days": 3}}); err != nil {
			return err
		}
		res, err := t.checkout(desk, domain.CheckoutRequest{Cardnumber: "1001", Barcode: "I1"})
		if err != nil {
			return err
		}
		if res.Loan.DueDate != "2026-11-26" {
			return errors.New("inside the command: due " + res.Loan.DueDate + ", want 2026-11-26")
		}
		return errUndo
	})
	if !errors.Is(err, errUndo) {
		t.Fatal(err)
	}
	res, err := s.Checkout(desk, domain.CheckoutRequest{Cardnumber: "1001", Barcode: "I2"})
	must(err)
	if res.Loan.DueDate != "2026-12-14" {
		t.Fatalf("after the rollback: due %s, want 2026-12-14 (the 21 days never changed)", res.Loan.DueDate)
	}
}
