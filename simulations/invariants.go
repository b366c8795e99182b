package simulations

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// checkNode checks what must hold at every branch at any time.
func (s *sim) checkNode(n *simNode) {
	s.checkDB(n.branch, n.db)
	// Nothing this node acknowledged is missing from its log.
	if vv, err := n.log.VersionVector(s.ctx); err == nil && vv[n.id] < n.acked {
		s.fail("%s: acknowledged %d ops, log has %d", n.branch, n.acked, vv[n.id])
	}
}

// checkDB checks what must hold at every replica at any time. Mid-run a
// replica may hold a loan made after a return it has not received yet
// (sync keeps each origin's order, not the order across origins), so an
// item may show two open loans one after the other; two open loans that
// follow the same loan (a fork) are a double loan, and a conflict must
// record it at once. After healing, every item with several open loans
// must have one (final).
func (s *sim) checkDB(name string, db *replicate.DB) { s.checkLoans(name, db, false) }

func (s *sim) checkLoans(name string, db *replicate.DB, final bool) {
	ctx := s.ctx
	q := db.Read()
	query := `SELECT item_id, count(*) FROM loans WHERE issued=1 AND return_stamp='' GROUP BY item_id, after_loan HAVING count(*)>1`
	if final {
		query = `SELECT item_id, count(*) FROM loans WHERE issued=1 AND return_stamp='' GROUP BY item_id HAVING count(*)>1`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		s.fail("%s: query loans: %v", name, err)
		return
	}
	var doubled []string
	for rows.Next() {
		var id string
		var c int
		rows.Scan(&id, &c)
		doubled = append(doubled, id)
	}
	rows.Close()
	for _, id := range doubled {
		var k int
		q.QueryRowContext(ctx, `SELECT count(*) FROM conflicts WHERE kind='double_loan' AND subject->>0=?`, id).Scan(&k)
		if k == 0 {
			s.fail("%s: item %s has several open loans and no conflict records it", name, id)
		}
	}
	// Every fee ledger balances: credits name a charge, and a charge paid
	// more than once is flagged.
	var orphans int
	q.QueryRowContext(ctx, `SELECT count(*) FROM fees c WHERE c.applies_to<>'' AND NOT EXISTS (SELECT 1 FROM fees f WHERE f.line_id=c.applies_to)`).Scan(&orphans)
	_ = orphans // a credit may arrive before its charge mid-sync; checked at the end
	var unflagged int
	q.QueryRowContext(ctx, `SELECT count(*) FROM fees f WHERE f.amount_cents>0 AND f.applies_to=''
		AND f.amount_cents + (SELECT coalesce(sum(amount_cents),0) FROM fees c WHERE c.applies_to=f.line_id) < 0
		AND NOT EXISTS (SELECT 1 FROM conflicts WHERE kind='overpayment' AND subject->>0=f.line_id)`).Scan(&unflagged)
	if unflagged > 0 {
		s.fail("%s: %d overpaid fees not in the conflicts queue", name, unflagged)
	}
}

// replicaView is one replica's view for the final comparison.
type replicaView struct {
	name string
	db   *replicate.DB
	log  *replicate.Log
	svc  *branch.Service
}

// checkFinal checks, after healing, that every replica (branches and
// central replicas) agrees, that nothing acknowledged was lost, and that
// the central origin's ops are the same on every replica.
func (s *sim) checkFinal() {
	ctx := s.ctx
	var views []replicaView
	for _, n := range s.nodes {
		s.checkNode(n)
		s.checkLoans(n.branch, n.db, true)
		views = append(views, replicaView{n.branch, n.db, n.log, n.svc})
	}
	c := s.central
	for _, r := range c.reps {
		if !r.isUp {
			s.fail("central %s is down after healing", r.label)
			return
		}
		s.checkDB(r.label, r.db)
		s.checkLoans(r.label, r.db, true)
		views = append(views, replicaView{r.label, r.db, r.ol, r.svc})
		if r.sm.Applied() != c.reps[0].sm.Applied() {
			s.fail("central %s applied %d entries, %s %d", r.label, r.sm.Applied(), c.reps[0].label, c.reps[0].sm.Applied())
		}
	}
	var hashes, conflicts, queues, centralOps []string
	// Compacted ops are gone from a replica's log: the central origin's
	// ops are compared above the highest compaction floor of any replica.
	var above uint64
	for _, v := range views {
		if floors, err := v.log.CompactedVector(ctx); err == nil {
			above = max(above, floors[c.origin])
		}
	}
	for _, v := range views {
		h, err := v.svc.StateHash(ctx)
		if err != nil {
			s.fail("%s: hash: %v", v.name, err)
			return
		}
		hashes = append(hashes, h)
		cs, _ := v.svc.Conflicts(ctx, "")
		b, _ := json.Marshal(cs)
		conflicts = append(conflicts, string(b))
		var qs []*domain.Hold
		for _, t := range s.titles[:min(10, len(s.titles))] {
			q, _ := v.svc.TitleQueue(ctx, t)
			qs = append(qs, q...)
		}
		qb, _ := json.Marshal(qs)
		queues = append(queues, string(qb))
		var orphans int
		v.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM fees c WHERE c.applies_to<>''
			AND NOT EXISTS (SELECT 1 FROM fees f WHERE f.line_id=c.applies_to)`).Scan(&orphans)
		if orphans > 0 {
			s.fail("%s: %d payments or credits name no charge", v.name, orphans)
		}
		centralOps = append(centralOps, s.originDigest(v.db, c.origin, above))
	}
	for i := 1; i < len(views); i++ {
		if hashes[i] != hashes[0] {
			s.fail("state of %s (%s) differs from %s (%s)", views[i].name, hashes[i][:12], views[0].name, hashes[0][:12])
		}
		if conflicts[i] != conflicts[0] {
			s.fail("conflicts of %s differ from %s", views[i].name, views[0].name)
		}
		if queues[i] != queues[0] {
			s.fail("hold queues of %s differ from %s", views[i].name, views[0].name)
		}
		if centralOps[i] != centralOps[0] {
			s.fail("the central origin's ops at %s differ from %s's", views[i].name, views[0].name)
		}
	}
	// No acknowledged op is lost anywhere: not what a branch acknowledged
	// to its users, not what central acknowledged to a pusher or to its
	// own users.
	for _, v := range views {
		vv, _ := v.log.VersionVector(ctx)
		for _, m := range s.nodes {
			if vv[m.id] < m.acked {
				s.fail("%s has %d of %s's ops; %d were acknowledged", v.name, vv[m.id], m.branch, m.acked)
			}
		}
		s.checkRetired(v.name, vv)
		for o, n := range s.ackedCentral {
			if vv[o] < n {
				s.fail("%s has %d of origin %s's ops; central acknowledged %d", v.name, vv[o], o, n)
			}
		}
	}
	s.res.StateHash = hashes[0]
	vv, _ := s.nodes[0].log.VersionVector(ctx)
	s.res.Ops = int(sumVector(vv))
	cs, _ := s.nodes[0].svc.Conflicts(ctx, "")
	for _, c := range cs {
		s.res.Conflicts[c.Kind+"/"+c.Status]++
	}
	s.res.CentralEntries = c.reps[0].sm.Applied()
	s.res.Elections, s.res.LeaderChanges = c.elections, c.leaderChanges
}

// originDigest hashes one origin's ops (counter, HLC, kind, payload) at a
// replica: the central origin's counters are assigned as entries apply, so
// every replica must have given the same op the same counter.
func (s *sim) originDigest(db *replicate.DB, origin replicate.NodeID, above uint64) string {
	h := sha256.New()
	if err := db.ScanOps(s.ctx, replicate.OpFilter{Origin: origin, After: above}, func(op replicate.Op) error {
		fmt.Fprintf(h, "%d %d %s %d:", op.Counter, op.HLC, op.Kind, len(op.Payload))
		h.Write(op.Payload)
		return nil
	}); err != nil {
		return "error: " + err.Error()
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sumVector(vv replicate.VersionVector) uint64 {
	var n uint64
	for _, c := range vv {
		n += c
	}
	return n
}
