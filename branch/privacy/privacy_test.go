package privacy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/audit"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/patronprefs"
	"stacks/branch/privacy"
	"stacks/replicate"
)

// The patron whose data must go.
var (
	card     = "29876543210987"
	first    = "Quintessa"
	surname  = "Marlowe-Fairbanks"
	email    = "quintessa.mf@example.org"
	phone    = "+358401234567"
	latePh   = "+358409998877"
	lateName = "Quintessabel"
)

type node struct {
	*branchtest.Env
	dir  string
	priv *privacy.Service
}

func open(t *testing.T, id replicate.NodeID, branchID string) *node {
	t.Helper()
	dir := t.TempDir()
	caps := branchtest.Capabilities()
	e := branchtest.Open(t, branchtest.Options{Node: id, Branch: branchID, Dir: dir, Capabilities: caps})
	return &node{Env: e, dir: dir, priv: privacy.New(e.Service)}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func supervisor(ctx context.Context) context.Context {
	return domain.WithActor(ctx, domain.Actor{ID: "sue", Role: domain.RoleSupervisor, Channel: domain.ChannelDesk})
}

// mesh exchanges ops between every pair of nodes until nothing moves.
func mesh(t *testing.T, ns ...*node) {
	t.Helper()
	for round := 0; round < 2; round++ {
		for _, a := range ns {
			for _, b := range ns {
				if a != b {
					branchtest.Exchange(t, a.Service, b.Service)
				}
			}
		}
	}
}

func hash(t *testing.T, n *node) string {
	t.Helper()
	h, err := replicate.StateHash(context.Background(), n.Service.Read(), branch.StateTables(branchtest.Capabilities()...))
	must(t, err)
	return h
}

// fixture is a library with one title, one copy and the patron, on node a.
func fixture(t *testing.T, a *node) (patronID, itemID string) {
	t.Helper()
	ctx := branchtest.Admin(context.Background())
	branchtest.SeedPolicy(t, ctx, a.Service)
	b, err := a.Service.AddBiblio(ctx, domain.NewBiblio{Title: "The Quiet Shelf", Authors: []string{"Ann Author"}})
	must(t, err)
	it, err := a.Service.AddItem(ctx, domain.NewItem{Barcode: "31000000000017", BiblioID: b.BiblioID, HomeBranch: "MAIN", ItemType: "BOOK"})
	must(t, err)
	p, err := a.Service.RegisterPatron(ctx, domain.NewPatron{Cardnumber: card, Firstname: first, Surname: surname, Email: email,
		Phone: phone, Address: "Kuusitie 7 B 12, 00270 Helsinki", DateOfBirth: "1979-04-13", HomeBranch: "MAIN", Category: "ADULT", PIN: "4321"})
	must(t, err)
	return p.PatronID, it.ItemID
}

// TestErasureEverywhere erases a patron on one of three replicas while a
// third is cut off and edits the patron: after healing, every replica has
// the same state, and the patron's name, card number, email and phone
// (the late edit's too) are in no replica's database file nor its WAL.
func TestErasureEverywhere(t *testing.T) {
	ctx := branchtest.Admin(context.Background())
	a, b, c := open(t, 1, "MAIN"), open(t, 2, "EAST"), open(t, 3, "MAIN")
	patronID, itemID := fixture(t, a)
	// A loan, overdue, returned with a fine that is paid.
	_, err := a.Service.Checkout(ctx, domain.CheckoutRequest{PatronID: patronID, ItemID: itemID})
	must(t, err)
	a.Clock.Advance(40 * 24 * time.Hour)
	_, err = a.Service.Checkin(ctx, domain.CheckinRequest{ItemID: itemID})
	must(t, err)
	acct, err := a.Service.Account(ctx, patronID)
	must(t, err)
	if acct.BalanceCents <= 0 {
		t.Fatalf("no fine to pay: %+v", acct)
	}
	// Refused while the patron owes money.
	err = a.priv.Erase(supervisor(ctx), patronID, "asked in person")
	if domain.ErrorCode(err) != domain.CodeErasureRefused {
		t.Fatalf("erasure while owing: %v", err)
	}
	_, err = a.Service.Pay(ctx, patronID, domain.PaymentRequest{AmountCents: acct.BalanceCents, Method: "card"})
	must(t, err)
	must(t, patronprefs.New(a.Service).SetReadingHistory(domain.WithActor(ctx, domain.Actor{ID: "patron:" + card, Role: domain.RolePatron, Channel: domain.ChannelWeb}), patronID, true))
	mesh(t, a, b, c)

	// c is cut off; there the patron changes their name and phone.
	lp, ln := latePh, lateName
	c.Clock.Advance(41 * 24 * time.Hour)
	_, err = c.Service.UpdatePatron(domain.WithActor(context.Background(), domain.Actor{ID: "patron:" + card, Role: domain.RolePatron, Channel: domain.ChannelWeb}),
		patronID, domain.PatronUpdate{Phone: &lp, Firstname: &ln})
	must(t, err)

	// Not a supervisor, no reason: refused.
	if err := a.priv.Erase(ctx, patronID, ""); err == nil {
		t.Fatal("erasure without a reason")
	}
	circ := domain.WithActor(context.Background(), domain.Actor{ID: "cal", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	if err := a.priv.Erase(circ, patronID, "asked"); err == nil {
		t.Fatal("erasure by circulation staff")
	}
	must(t, a.priv.Erase(supervisor(ctx), patronID, "GDPR art. 17 request of 2026-11-23"))
	mesh(t, a, b)
	// c edits once more, after a and b erased; then the partition heals.
	c.Clock.Advance(time.Hour)
	_, err = c.Service.UpdatePatron(ctx, patronID, domain.PatronUpdate{Email: ptr("late." + email)})
	must(t, err)
	// The partition heals one way first: a gets c's edits (made without
	// knowing of the erasure) before c hears of it. a must redact them on
	// arrival and not serve them.
	branchtest.Exchange(t, c.Service, a.Service)
	if p, err := a.Service.Patron(ctx, patronID); err != nil || p.Firstname != "" || p.Phone != "" || p.Email != "" {
		t.Fatalf("a late edit restored %+v (%v)", p, err)
	}
	vv, err := b.Log.VersionVector(ctx)
	must(t, err)
	served, err := a.Log.Ops(ctx, vv, 0)
	must(t, err)
	for _, op := range served {
		for _, v := range []string{latePh, lateName, "late." + email, card} {
			if bytes.Contains(op.Payload, []byte(v)) || strings.Contains(op.Actor, v) {
				t.Fatalf("a serves op %s %s with %q: %s", op.ID(), op.Kind, v, op.Payload)
			}
		}
	}
	mesh(t, a, b, c)

	h := hash(t, a)
	for _, n := range []*node{b, c} {
		if got := hash(t, n); got != h {
			t.Fatalf("state hashes differ after healing: %s vs %s", got, h)
		}
	}
	for _, n := range []*node{a, b, c} {
		p, err := n.Service.Patron(ctx, patronID)
		must(t, err)
		if p.Cardnumber != "" || p.Firstname != "" || p.Surname != "" || p.Email != "" || p.Phone != "" || p.Address != "" || p.DateOfBirth != "" {
			t.Fatalf("node %s still holds %+v", n.Log.Node(), p)
		}
		if _, ok, err := n.priv.Erased(ctx, patronID); err != nil || !ok {
			t.Fatalf("node %s: not erased: %v", n.Log.Node(), err)
		}
	}
	// The returned loan is anonymised by the sweep (at return, for an
	// erased patron), on one node; the others get the op.
	n, err := a.priv.Sweep(ctx, "")
	must(t, err)
	if n != 1 {
		t.Fatalf("swept %d loans, want 1", n)
	}
	mesh(t, a, b, c)
	for _, n := range []*node{a, b, c} {
		noPath(t, n, patronID, itemID)
	}
	for _, n := range []*node{a, b, c} {
		grepFiles(t, n, []string{card, first, surname, email, phone, latePh, lateName, "late." + email, "Kuusitie", "1979-04-13"})
	}
}

func ptr(s string) *string { return &s }

// noPath checks that nothing leads from the patron to the item's loans.
func noPath(t *testing.T, n *node, patronID, itemID string) {
	t.Helper()
	db := n.Service.Read()
	for _, q := range []string{
		`SELECT count(*) FROM loans WHERE patron_id=?1 AND returned_at<>''`,
		`SELECT count(*) FROM fees WHERE patron_id=?1 AND (loan_id<>'' OR item_id=?2)`,
		`SELECT count(*) FROM holds WHERE patron_id=?1 AND trapped_item=?2`,
		`SELECT count(*) FROM audit WHERE patron_id=?1 AND item_id=?2`,
		`SELECT count(*) FROM overrides WHERE patron_id=?1 AND item_id=?2`,
	} {
		var c int
		must(t, db.QueryRowContext(context.Background(), q, patronID, itemID).Scan(&c))
		if c != 0 {
			t.Errorf("node %s: %d rows of %s", n.Log.Node(), c, q)
		}
	}
	if c := countOps(t, n, func(op replicate.Op) bool {
		return (op.Kind == "loan.checkout" || op.Kind == "loan.renew") && strings.Contains(string(op.Payload), patronID)
	}); c != 0 {
		t.Errorf("node %s: %d loan ops name the patron", n.Log.Node(), c)
	}
	if c := countOps(t, n, func(op replicate.Op) bool {
		return op.Kind == "fee.lines" && strings.Contains(string(op.Payload), patronID) && strings.Contains(string(op.Payload), itemID)
	}); c != 0 {
		t.Errorf("node %s: %d fee ops name the patron and the item", n.Log.Node(), c)
	}
}

// countOps counts the node's stored ops that match.
func countOps(t *testing.T, n *node, match func(replicate.Op) bool) int {
	t.Helper()
	c := 0
	must(t, n.DB.ScanOps(context.Background(), replicate.OpFilter{Match: match}, func(replicate.Op) error {
		c++
		return nil
	}))
	return c
}

// grepFiles checkpoints the WAL away and looks for each value in the bytes
// of every file of the node's database.
func grepFiles(t *testing.T, n *node, values []string) {
	t.Helper()
	must(t, n.DB.CheckpointTruncate(context.Background()))
	files, err := filepath.Glob(filepath.Join(n.dir, "stacks.db*"))
	must(t, err)
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(t, err)
		for _, v := range values {
			if i := bytes.Index(b, []byte(v)); i >= 0 {
				t.Errorf("node %s: %q found in %s at %d: %q", n.Log.Node(), v, filepath.Base(f), i, context64(b, i))
			}
		}
	}
}

func context64(b []byte, i int) string {
	lo, hi := max(0, i-64), min(len(b), i+64)
	return strings.ToValidUTF8(string(b[lo:hi]), ".")
}

// TestEraseRefusedWhileOnLoan: a patron holding an item is not erased.
func TestEraseRefusedWhileOnLoan(t *testing.T) {
	ctx := branchtest.Admin(context.Background())
	a := open(t, 1, "MAIN")
	patronID, itemID := fixture(t, a)
	_, err := a.Service.Checkout(ctx, domain.CheckoutRequest{PatronID: patronID, ItemID: itemID})
	must(t, err)
	err = a.priv.Erase(supervisor(ctx), patronID, "asked")
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeErasureRefused || !strings.Contains(de.Message, "on loan") {
		t.Fatalf("got %v", err)
	}
}

// TestRetention: at return by default, after N days for a category, kept
// for a patron who keeps their reading history.
func TestRetention(t *testing.T) {
	ctx := branchtest.Admin(context.Background())
	a := open(t, 1, "MAIN")
	patronID, itemID := fixture(t, a)
	loan := func() {
		t.Helper()
		_, err := a.Service.Checkout(ctx, domain.CheckoutRequest{PatronID: patronID, ItemID: itemID})
		must(t, err)
		a.Clock.Advance(24 * time.Hour)
		_, err = a.Service.Checkin(ctx, domain.CheckinRequest{ItemID: itemID})
		must(t, err)
	}
	kept := func() int {
		t.Helper()
		var n int
		must(t, a.Service.Read().QueryRow(`SELECT count(*) FROM loans WHERE patron_id=?`, patronID).Scan(&n))
		return n
	}
	must(t, a.priv.SetRetention(ctx, privacy.Retention{Category: "ADULT", Mode: privacy.ModeAfterDays, Days: 30}))
	loan()
	if n, _ := a.priv.Sweep(ctx, ""); n != 0 || kept() != 1 {
		t.Fatalf("swept %d before 30 days, kept %d", n, kept())
	}
	a.Clock.Advance(31 * 24 * time.Hour)
	if n, _ := a.priv.Sweep(ctx, ""); n != 1 || kept() != 0 {
		t.Fatalf("after 30 days: swept %d, kept %d", n, kept())
	}
	// The patron keeps their reading history: that overrides the policy.
	prefs := patronprefs.New(a.Service)
	must(t, prefs.SetReadingHistory(ctx, patronID, true))
	must(t, a.priv.SetRetention(ctx, privacy.Retention{Category: "*", Mode: privacy.ModeAtReturn}))
	must(t, a.priv.SetRetention(ctx, privacy.Retention{Category: "ADULT", Mode: privacy.ModeAtReturn}))
	a.Clock.Advance(time.Hour)
	loan()
	if n, _ := a.priv.Sweep(ctx, ""); n != 0 || kept() != 1 {
		t.Fatalf("history kept: swept %d, kept %d", n, kept())
	}
	h, err := prefs.ReadingHistory(ctx, patronID)
	must(t, err)
	if len(h.Entries) != 1 {
		t.Fatalf("reading history %+v", h.Entries)
	}
	// They delete their history: it goes at the next sweep.
	a.Clock.Advance(time.Hour)
	must(t, prefs.ClearReadingHistory(ctx, patronID))
	if n, _ := a.priv.Sweep(ctx, ""); n != 1 || kept() != 0 {
		t.Fatalf("history cleared: swept %d, kept %d", n, kept())
	}
	// Only the loans returned at the sweeping branch are swept there.
	must(t, prefs.SetReadingHistory(ctx, patronID, false))
	loan()
	if n, _ := a.priv.Sweep(ctx, "EAST"); n != 0 {
		t.Fatalf("EAST swept MAIN's loan")
	}
	if n, _ := a.priv.Sweep(ctx, "MAIN"); n != 1 {
		t.Fatalf("MAIN swept %d", n)
	}
	noPath(t, a, patronID, itemID)
	if err := a.priv.SetRetention(ctx, privacy.Retention{Category: "ADULT", Mode: "forever"}); err == nil {
		t.Fatal("bad mode accepted")
	}
}

// TestExport: the export holds the patron's record, every loan (current
// and kept), fee, preference and erasure state, with the capabilities'
// parts under their names.
func TestExport(t *testing.T) {
	ctx := branchtest.Admin(context.Background())
	a := open(t, 1, "MAIN")
	patronID, itemID := fixture(t, a)
	must(t, a.priv.SetRetention(ctx, privacy.Retention{Category: "ADULT", Mode: privacy.ModeKeep}))
	_, err := a.Service.Checkout(ctx, domain.CheckoutRequest{PatronID: patronID, ItemID: itemID})
	must(t, err)
	a.Clock.Advance(40 * 24 * time.Hour)
	_, err = a.Service.Checkin(ctx, domain.CheckinRequest{ItemID: itemID})
	must(t, err)
	_, err = a.Service.Checkout(ctx, domain.CheckoutRequest{PatronID: patronID, ItemID: itemID})
	must(t, err)
	must(t, patronprefs.New(a.Service).SetReadingHistory(ctx, patronID, true))
	ex, err := a.priv.Export(ctx, patronID)
	must(t, err)
	b, err := json.Marshal(ex)
	must(t, err)
	var got struct {
		Patron      map[string]any   `json:"patron"`
		Loans       []map[string]any `json:"loans"`
		Fees        []map[string]any `json:"fees"`
		Holds       []map[string]any `json:"holds"`
		Patronprefs []map[string]any `json:"patronprefs"`
		Audit       []map[string]any `json:"audit"`
		Notices     map[string]any   `json:"notices"`
		Retention   privacy.Retention
	}
	must(t, json.Unmarshal(b, &got))
	if got.Patron["cardnumber"] != card || got.Patron["email"] != email {
		t.Fatalf("patron %v", got.Patron)
	}
	if _, ok := got.Patron["pin_hash"]; ok {
		t.Fatal("the PIN's hash is exported")
	}
	if len(got.Loans) != 2 || len(got.Fees) != 1 || len(got.Patronprefs) < 1 || got.Retention.Mode != privacy.ModeKeep {
		t.Fatalf("export %s", b)
	}
	for _, k := range []string{"audit", "notices", "handoff", "digital", "websession", "privacy", "holds", "loan_renewals"} {
		if _, ok := ex[k]; !ok {
			t.Errorf("export lacks %s", k)
		}
	}
}

// TestLateEditMarksRedaction: an edit of a patron made on a node cut off
// while they were erased elsewhere is redacted where it arrives, and the
// transaction that applies it says so (replicate.Tx.Redacted), which is
// what makes central purge the copy in its Raft log; the same op served
// on, already redacted, marks nothing, and neither does an op that names
// no erased patron.
func TestLateEditMarksRedaction(t *testing.T) {
	ctx := branchtest.Admin(context.Background())
	a, b, c := open(t, 1, "MAIN"), open(t, 2, "EAST"), open(t, 3, "MAIN")
	patronID, _ := fixture(t, a)
	mesh(t, a, b, c)
	lp := latePh
	_, err := c.Service.UpdatePatron(ctx, patronID, domain.PatronUpdate{Phone: &lp})
	must(t, err)
	must(t, a.priv.Erase(supervisor(ctx), patronID, "GDPR art. 17"))
	mesh(t, a, b)

	integrate := func(to, from *node) (added int, redacted bool) {
		t.Helper()
		vv, err := to.Log.VersionVector(ctx)
		must(t, err)
		ops, err := from.Log.Ops(ctx, vv, 0)
		must(t, err)
		must(t, to.Log.Update(replicate.Direct(ctx), func(tx *replicate.Tx) error {
			n, err := tx.IntegrateAdmitted(ctx, ops)
			added, redacted = n, tx.Redacted()
			return err
		}))
		return added, redacted
	}
	if n, redacted := integrate(a, c); n != 1 || !redacted {
		t.Fatalf("the late edit reaching a: %d ops, redacted %v; want 1, true", n, redacted)
	}
	if n, redacted := integrate(b, a); n != 1 || redacted {
		t.Fatalf("the late edit served on, redacted already, reaching b: %d ops, redacted %v; want 1, false", n, redacted)
	}
	must(t, c.Service.SetLibrary(ctx, domain.Library{BranchID: "NORTH", Name: "North"}))
	if n, redacted := integrate(b, c); n != 1 || redacted {
		t.Fatalf("an op naming no one: %d ops, redacted %v; want 1, false", n, redacted)
	}
}

// TestSweepOfManyLoans: a sweep that anonymises many loans at once cuts
// them out of the ops that name them in one pass over the log
// (redactAnonymisedAll): no loan op names the patron after it, and a node
// that receives the loans' ops only after the sweep (each cut there as it
// arrives, row by row) ends with the same ops, byte for byte, and the
// same state.
func TestSweepOfManyLoans(t *testing.T) {
	ctx := branchtest.Admin(context.Background())
	a, b := open(t, 1, "MAIN"), open(t, 2, "EAST")
	patronID, itemID := fixture(t, a)
	must(t, a.priv.SetRetention(ctx, privacy.Retention{Category: "ADULT", Mode: privacy.ModeAfterDays, Days: 30}))
	for i := 0; i < 12; i++ {
		_, err := a.Service.Checkout(ctx, domain.CheckoutRequest{PatronID: patronID, ItemID: itemID})
		must(t, err)
		a.Clock.Advance(time.Duration(2+20*(i%2)) * 24 * time.Hour) // every other loan overdue: a fine
		_, err = a.Service.Checkin(ctx, domain.CheckinRequest{ItemID: itemID})
		must(t, err)
	}
	sweepPastRetention(t, a, 12, patronID, itemID)
	mesh(t, a, b)
	noPath(t, b, patronID, itemID)
	same(t, a, b)
}

// TestLateRenewalAfterAnonymisation: a loan renewed on a branch cut off
// while the lending branch took it back and its sweep anonymised it. The
// renewal reaches the lending branch after the anonymisation (it is cut
// out of the renewal's op as that op is applied, from its own batch) and
// the anonymisation reaches the renewing branch after the renewal (cut
// out of the log it already holds): neither keeps a path from the patron
// to the copy, and both hold the same state and the same ops.
func TestLateRenewalAfterAnonymisation(t *testing.T) {
	ctx := branchtest.Admin(context.Background())
	a, b := open(t, 1, "MAIN"), open(t, 2, "EAST")
	patronID, itemID := fixture(t, a)
	must(t, a.priv.SetRetention(ctx, privacy.Retention{Category: "ADULT", Mode: privacy.ModeAfterDays, Days: 30}))
	co, err := a.Service.Checkout(ctx, domain.CheckoutRequest{PatronID: patronID, ItemID: itemID})
	must(t, err)
	mesh(t, a, b)
	// Cut off from each other: b renews, a takes the copy back and sweeps.
	b.Clock.Advance(24 * time.Hour)
	_, err = b.Service.Renew(ctx, domain.RenewRequest{LoanID: co.Loan.LoanID})
	must(t, err)
	if c := countOps(t, b, func(op replicate.Op) bool {
		return op.Kind == "loan.renew" && strings.Contains(string(op.Payload), patronID)
	}); c != 1 {
		t.Fatalf("the renewal's op names the patron %d times on b, want 1 (the test needs a renewal that names them)", c)
	}
	a.Clock.Advance(2 * 24 * time.Hour)
	_, err = a.Service.Checkin(ctx, domain.CheckinRequest{ItemID: itemID})
	must(t, err)
	sweepPastRetention(t, a, 1, patronID, itemID)
	// The link returns: b's renewal reaches a, a's return and sweep reach b.
	branchtest.Exchange(t, b.Service, a.Service)
	noPath(t, a, patronID, itemID)
	mesh(t, a, b)
	noPath(t, a, patronID, itemID)
	noPath(t, b, patronID, itemID)
	same(t, a, b)
}

// sweepPastRetention moves a's clock past the 30-day retention and sweeps:
// want loans are anonymised, and nothing on a leads from the patron to the
// item any more.
func sweepPastRetention(t *testing.T, a *node, want int, patronID, itemID string) {
	t.Helper()
	a.Clock.Advance(31 * 24 * time.Hour)
	if n, err := a.priv.Sweep(branchtest.Admin(context.Background()), ""); err != nil || n != want {
		t.Fatalf("swept %d (%v), want %d loans", n, err, want)
	}
	noPath(t, a, patronID, itemID)
}

// same fails unless a and b hold the same state and the same stored ops
// (payloads included, redactions and all).
func same(t *testing.T, a, b *node) {
	t.Helper()
	if ha, hb := hash(t, a), hash(t, b); ha != hb {
		t.Fatalf("state differs: %s / %s", ha, hb)
	}
	opsA, err := a.Log.AllOps(context.Background())
	must(t, err)
	opsB, err := b.Log.AllOps(context.Background())
	must(t, err)
	if len(opsA) != len(opsB) {
		t.Fatalf("%d ops on a, %d on b", len(opsA), len(opsB))
	}
	for i := range opsA {
		if opsA[i].Origin != opsB[i].Origin || opsA[i].Counter != opsB[i].Counter || string(opsA[i].Payload) != string(opsB[i].Payload) {
			t.Fatalf("op %d/%d: a has %s, b has %s", opsA[i].Origin, opsA[i].Counter, opsA[i].Payload, opsB[i].Payload)
		}
	}
}

// TestLateAuditRecordAfterAnonymisation: c audits a look at the patron's
// loan of the item; a, which has that record, anonymises the loan; b gets
// a's anonymisation first and c's record only later. On arriving, the
// record is cut from the item on b as it was on a; a record of the same
// patron that names no item is kept as it came.
func TestLateAuditRecordAfterAnonymisation(t *testing.T) {
	ctx := branchtest.Admin(context.Background())
	a, b, c := open(t, 1, "MAIN"), open(t, 2, "EAST"), open(t, 3, "MAIN")
	patronID, itemID := fixture(t, a)
	must(t, a.priv.SetRetention(ctx, privacy.Retention{Category: "ADULT", Mode: privacy.ModeAfterDays, Days: 30}))
	_, err := a.Service.Checkout(ctx, domain.CheckoutRequest{PatronID: patronID, ItemID: itemID})
	must(t, err)
	mesh(t, a, b, c)
	must(t, audit.NewService(c.Service).Record(ctx,
		audit.Record{Action: "GET /api/v1/loans", Resource: "/api/v1/loans?item=" + itemID, PatronID: patronID, ItemID: itemID, Outcome: "200"},
		audit.Record{Action: "GET /api/v1/patrons/{id}", Resource: "/api/v1/patrons/" + patronID, PatronID: patronID, Outcome: "200"}))
	branchtest.Exchange(t, c.Service, a.Service)
	a.Clock.Advance(24 * time.Hour)
	_, err = a.Service.Checkin(ctx, domain.CheckinRequest{ItemID: itemID})
	must(t, err)
	sweepPastRetention(t, a, 1, patronID, itemID)
	// b gets a's own ops (the return and the anonymisation), not c's.
	vv, err := b.Log.VersionVector(ctx)
	must(t, err)
	fromA, err := a.Log.Ops(ctx, vv, 0)
	must(t, err)
	fromA = slices.DeleteFunc(fromA, func(op replicate.Op) bool { return op.Origin != a.Log.Node() })
	if _, err := b.Log.Integrate(ctx, fromA); err != nil {
		t.Fatal(err)
	}
	if c := countOps(t, b, func(op replicate.Op) bool { return op.Kind == privacy.KindAnonymise }); c != 1 {
		t.Fatalf("b holds %d anonymisations, want 1", c)
	}
	// c's records arrive at b after it.
	branchtest.Exchange(t, c.Service, b.Service)
	noPath(t, b, patronID, itemID)
	var kept int
	must(t, b.Service.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit WHERE patron_id=? AND item_id='' AND resource=?`,
		patronID, "/api/v1/patrons/"+patronID).Scan(&kept))
	if kept != 1 {
		t.Fatalf("b keeps %d of the record naming no item, want 1", kept)
	}
	mesh(t, a, b, c)
	same(t, a, b)
	same(t, a, c)
}
