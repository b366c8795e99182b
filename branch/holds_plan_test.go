package branch_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"stacks/branch"
	"stacks/replicate"
)

// TestFillableHoldsUseTheTitleIndex: finding the holds a returned or
// renewed copy may fill looks the copy's holds up by item and the title's
// by title, never every title-level hold by its empty item_id (which a
// busy branch's five-year history showed as 4-5 % of its CPU).
func TestFillableHoldsUseTheTitleIndex(t *testing.T) {
	ctx := context.Background()
	db, err := replicate.OpenDB(ctx, filepath.Join(t.TempDir(), "b.db"), branch.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Read().QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT h.hold_id FROM holds h
		LEFT JOIN biblios b ON b.biblio_id=h.biblio_id LEFT JOIN patrons p ON p.patron_id=h.patron_id
		WHERE h.placed=1 AND h.patron_id<>? AND `+branch.Fillable+` ORDER BY h.placed_stamp, h.hold_id`, "p", "i", "b")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	p := strings.Join(plan, "\n")
	if !strings.Contains(p, "holds_item (item_id=? AND status_rank=?)") || !strings.Contains(p, "holds_biblio (biblio_id=? AND status_rank=?)") {
		t.Fatalf("the fillable holds are not looked up by item and by title:\n%s", p)
	}
}
