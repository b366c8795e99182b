package simulations

import (
	"slices"

	"stacks/branch"
	"stacks/branch/audit"
	"stacks/branch/digital"
	"stacks/branch/events"
	"stacks/branch/feedback"
	"stacks/branch/notices"
	"stacks/branch/privacy"
	"stacks/replicate"
)

// capabilities are the branch capabilities every simulated node runs, as
// node wires them: the state hash covers their tables too.
func capabilities() []branch.Capability {
	// The notice engine's tables are written only in the notices phase,
	// after the day's state hash is taken, and that phase checks its own
	// invariants; leaving them out of the hash keeps the day's state line
	// what it was before the phase existed.
	nc := notices.Capability()
	nc.StateTables = nil
	// Events' tables, likewise, are written only in the events phase.
	ec := events.Capability()
	ec.StateTables = nil
	// Feedback's tables, likewise, in the feedback phase.
	fc := feedback.Capability()
	fc.StateTables = nil
	caps := []branch.Capability{audit.Capability(), digital.Capability(), nc, ec, fc}
	// Privacy's tables are written only in the privacy phase, which hashes
	// them itself: the day's state line stays what it was.
	pc := privacy.Capability(caps...)
	pc.StateTables = nil
	return append(caps, pc)
}

// applierBugs are the bugs the simulation can plant in the applier through
// its fault hook (branch.Applier.WithLWWOrder): arrival-order makes
// last-writer-wins keep whichever write arrived last, ignoring the (HLC,
// origin) stamp.
var applierBugs = map[string]func(current, incoming replicate.Stamp) bool{
	"arrival-order": func(_, _ replicate.Stamp) bool { return true },
}

// applier is the applier of a simulated node: the node's, with the planted
// bug if the run plants one in the applier.
func (s *sim) applier() (branch.Applier, error) {
	caps := capabilities()
	if s.cfg.PlantBug == "erasure-resurrect" {
		// The tombstone no longer wins over ops that arrive after it.
		for i := range caps {
			if caps[i].Name == "privacy" {
				caps[i].Observe = nil
			}
		}
	}
	a, err := branch.NewApplier(caps...)
	if err != nil {
		return branch.Applier{}, err
	}
	if wins, ok := applierBugs[s.cfg.PlantBug]; ok {
		a = a.WithLWWOrder(wins)
	}
	return a, nil
}

// applierBugNames lists applierBugs.
func applierBugNames() []string {
	var out []string
	for k := range applierBugs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
