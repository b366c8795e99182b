package simulations

import (
	"encoding/json"
	"fmt"

	"stacks/branch"
	"stacks/replicate"
)

// checkNode checks what must hold at every replica at any time.
func (s *sim) checkNode(n *simNode) {
	ctx := s.ctx
	q := n.db.Read()
	// Every item has at most one open loan, unless a conflict records it.
	rows, err := q.QueryContext(ctx, `SELECT item_id, count(*) FROM loans WHERE issued=1 AND return_stamp='' GROUP BY item_id HAVING count(*)>1`)
	if err != nil {
		s.fail("%s: query loans: %v", n.branch, err)
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
			s.fail("%s: item %s has several open loans and no conflict records it", n.branch, id)
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
		s.fail("%s: %d overpaid fees not in the conflicts queue", n.branch, unflagged)
	}
	// Nothing this node acknowledged is missing from its log.
	if vv, err := n.log.VersionVector(ctx); err == nil && vv[n.id] < n.acked {
		s.fail("%s: acknowledged %d ops, log has %d", n.branch, n.acked, vv[n.id])
	}
}

// checkFinal checks, after healing, that every replica agrees.
func (s *sim) checkFinal() {
	ctx := s.ctx
	var hashes, conflicts, queues []string
	for _, n := range s.nodes {
		s.checkNode(n)
		h, err := n.svc.StateHash(ctx)
		if err != nil {
			s.fail("%s: hash: %v", n.branch, err)
			return
		}
		hashes = append(hashes, h)
		cs, _ := n.svc.Conflicts(ctx, "")
		b, _ := json.Marshal(cs)
		conflicts = append(conflicts, string(b))
		var qs []*branch.Hold
		for _, t := range s.titles[:min(10, len(s.titles))] {
			q, _ := n.svc.TitleQueue(ctx, t)
			qs = append(qs, q...)
		}
		qb, _ := json.Marshal(qs)
		queues = append(queues, string(qb))
		var orphans int
		n.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM fees c WHERE c.applies_to<>''
			AND NOT EXISTS (SELECT 1 FROM fees f WHERE f.line_id=c.applies_to)`).Scan(&orphans)
		if orphans > 0 {
			s.fail("%s: %d payments or credits name no charge", n.branch, orphans)
		}
	}
	for i := 1; i < len(s.nodes); i++ {
		if hashes[i] != hashes[0] {
			s.fail("state of %s (%s) differs from %s (%s)", s.nodes[i].branch, hashes[i][:12], s.nodes[0].branch, hashes[0][:12])
		}
		if conflicts[i] != conflicts[0] {
			s.fail("conflicts of %s differ from %s", s.nodes[i].branch, s.nodes[0].branch)
		}
		if queues[i] != queues[0] {
			s.fail("hold queues of %s differ from %s", s.nodes[i].branch, s.nodes[0].branch)
		}
	}
	// No acknowledged op is lost anywhere.
	for _, n := range s.nodes {
		vv, _ := n.log.VersionVector(ctx)
		for _, m := range s.nodes {
			if vv[m.id] < m.acked {
				s.fail("%s has %d of %s's ops; %d were acknowledged", n.branch, vv[m.id], m.branch, m.acked)
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
	_ = fmt.Sprint
}

func sumVector(vv replicate.VersionVector) uint64 {
	var n uint64
	for _, c := range vv {
		n += c
	}
	return n
}
