package simulations

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/privacy"
	"stacks/replicate"
)

// PrivacyBugs are bugs the simulation can plant in privacy:
// erasure-resurrect lets an op that arrives after a patron's erasure
// (an edit made on a branch cut off at the time) be applied without the
// patron being erased again, as a tombstone that does not win would.
var PrivacyBugs = []string{"erasure-resurrect"}

// privacyPhase is "erasure everywhere": after healing, one branch is cut
// off and edits a patron with no loans nor debt while another erases
// them; the rest exchange ops in a seeded order; the cut-off branch edits
// again; then every branch exchanges with every other. Every branch must
// end with one state hash (privacy's tables included), the patron's
// personal fields blank, and none of their values (old or edited) in any
// op of any log.
func (s *sim) privacyPhase() {
	r := rand.New(rand.NewPCG(s.cfg.Seed, 0x9d1ac7))
	var live []*simNode
	for _, n := range s.nodes {
		if n.isUp && n.svc != nil {
			live = append(live, n)
		}
	}
	if len(live) < 3 {
		return
	}
	r.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	cut, eraser := live[0], live[1]
	ids, err := queryIDs(s.ctx, eraser.db.Read(), `SELECT p.patron_id FROM patrons p WHERE p.cardnumber<>'' AND p.surname<>''
		AND NOT EXISTS (SELECT 1 FROM loans l WHERE l.patron_id=p.patron_id AND l.returned_at='')
		AND coalesce((SELECT sum(amount_cents) FROM fees f WHERE f.patron_id=p.patron_id),0)<=0 ORDER BY p.patron_id`)
	if err != nil {
		s.fail("privacy: %v", err)
		return
	}
	if len(ids) == 0 {
		return
	}
	id := ids[r.IntN(len(ids))]
	vals, err := branch.PersonalValues(s.ctx, eraser.db.Read(), id)
	if err != nil {
		s.fail("privacy: %v", err)
		return
	}
	sup := domain.WithActor(s.ctx, domain.Actor{ID: "sup", Role: domain.RoleSupervisor, Channel: domain.ChannelDesk})
	late := []string{fmt.Sprintf("Late%06d", r.IntN(1e6)), fmt.Sprintf("+35850%07d", r.IntN(1e7)), fmt.Sprintf("late%06d@example.org", r.IntN(1e6))}
	if _, err := cut.svc.UpdatePatron(sup, id, domain.PatronUpdate{Surname: &late[0], Phone: &late[1]}); err != nil {
		s.fail("privacy: edit on %s: %v", cut.branch, err)
		return
	}
	if err := privacy.New(eraser.svc).Erase(sup, id, "simulated GDPR request"); err != nil {
		s.fail("privacy: erase on %s: %v", eraser.branch, err)
		return
	}
	s.exchangeRounds(r, live[1:], "privacy")
	if _, err := cut.svc.UpdatePatron(sup, id, domain.PatronUpdate{Email: &late[2]}); err != nil {
		s.fail("privacy: edit on %s: %v", cut.branch, err)
	}
	// Heal: the cut-off branch's ops reach the others first, then all.
	for _, n := range live[1:] {
		if err := s.exchange(cut, n); err != nil {
			s.fail("privacy: %s -> %s: %v", cut.branch, n.branch, err)
		}
	}
	s.exchangeRounds(r, live, "privacy")
	tables := branch.StateTables(append(capabilities()[:len(capabilities())-1], privacy.Capability())...)
	var want string
	for i, n := range live {
		h, err := replicate.StateHash(s.ctx, n.db.Read(), tables)
		if err != nil {
			s.fail("privacy: %v", err)
			return
		}
		if i == 0 {
			want = h
		} else if h != want {
			s.fail("privacy: %s's state differs from %s's after the erasure healed", n.branch, live[0].branch)
		}
		p, err := n.svc.Patron(s.ctx, id)
		if err != nil {
			s.fail("privacy: %v", err)
			continue
		}
		if p.Cardnumber != "" || p.Firstname != "" || p.Surname != "" || p.Email != "" || p.Phone != "" {
			s.fail("privacy: %s serves the erased patron %s: %s %s %s %s", n.branch, id, p.Cardnumber, p.Surname, p.Email, p.Phone)
		}
		all := append(vals, late...)
		counts := make([]int, len(all))
		// A name may be another patron's too: looked for in the ops that
		// name this patron (and anywhere for the card number).
		if err := n.db.ScanOps(s.ctx, replicate.OpFilter{Match: func(op replicate.Op) bool {
			return !strings.HasPrefix(op.Kind, "privacy.")
		}}, func(op replicate.Op) error {
			p := string(op.Payload)
			for i, v := range all {
				if (strings.Contains(p, v) && (strings.Contains(p, id) || v == vals[0])) || strings.Contains(op.Actor, v) {
					counts[i]++
				}
			}
			return nil
		}); err != nil {
			s.fail("privacy: %v", err)
		}
		for i, c := range counts {
			if c > 0 {
				s.fail("privacy: %s's op log still holds %q of the erased patron in %d ops", n.branch, all[i], c)
			}
		}
	}
	s.res.Erasures++
}
