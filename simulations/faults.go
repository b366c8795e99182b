package simulations

import "time"

// faults injects this minute's faults.
func (s *sim) faults() {
	f := s.cfg.Faults
	n := len(s.nodes)
	if f.Partitions && s.r.IntN(6*60) == 0 { // about four partitions a day
		// Cut a random group of branches and central replicas off from
		// the rest.
		ne := s.endpoints()
		group := map[int]bool{}
		for len(group) == 0 || len(group) == ne {
			group = map[int]bool{}
			for i := 0; i < ne; i++ {
				if s.r.IntN(2) == 0 {
					group[i] = true
				}
			}
		}
		for a := 0; a < ne; a++ {
			for b := 0; b < ne; b++ {
				if group[a] != group[b] {
					s.net.cut[[2]int{a, b}] = true
				}
			}
		}
		s.res.Faults["partition"]++
		s.healAt = s.now.Add(time.Duration(30+s.r.IntN(8*60)) * time.Minute)
	}
	if !s.healAt.IsZero() && !s.now.Before(s.healAt) {
		s.net.healAll()
		s.healAt = time.Time{}
	}
	if f.ClockSkew > 0 && s.r.IntN(12*60) == 0 {
		nd := s.nodes[s.r.IntN(n)]
		nd.clock.skew = time.Duration(s.r.Int64N(int64(2*f.ClockSkew))) - f.ClockSkew
		if s.r.IntN(4) == 0 {
			nd.clock.skew += time.Duration(s.r.IntN(3)-1) * time.Hour // a jump
		}
		s.res.Faults["clock-skew"]++
	}
	if f.Crashes && s.r.IntN(8*60) == 0 {
		nd := s.nodes[s.r.IntN(n)]
		if nd.isUp {
			if s.r.IntN(2) == 0 {
				nd.crashPending = true // dies in its next commit
				s.res.Faults["crash-before-commit"]++
			} else {
				s.crash(nd)
				s.res.Faults["crash"]++
			}
		}
	}
	for _, nd := range s.nodes {
		if !nd.isUp && !s.now.Before(nd.restartAt) && nd.rejoining && s.cfg.PlantBug == "rebootstrap-drops-own-ops" {
			s.replace(nd.idx, true) // the planted bug: replaced before it pushed its own ops
			continue
		}
		if !nd.isUp && !s.now.Before(nd.restartAt) {
			if err := nd.restart(); err != nil {
				s.fail("%s did not restart: %v", nd.branch, err)
			}
			s.res.Faults["restart"]++
		}
	}
	s.centralFaults()
	if f.FullDisk && s.r.IntN(12*60) == 0 {
		nd := s.nodes[s.r.IntN(n)]
		if nd.isUp && !nd.diskFull {
			if pages, err := nd.db.PageCount(s.ctx); err == nil {
				nd.db.SetMaxPageCount(s.ctx, pages)
				nd.diskFull = true
				nd.diskFreeAt = s.now.Add(time.Duration(10+s.r.IntN(120)) * time.Minute)
				s.res.Faults["disk-full"]++
			}
		}
	}
	for _, nd := range s.nodes {
		if nd.isUp && nd.diskFull && !s.now.Before(nd.diskFreeAt) {
			nd.db.SetMaxPageCount(s.ctx, 0)
			nd.diskFull = false
		}
	}
}

// crash stops a node; it restarts from disk a while later.
func (s *sim) crash(nd *simNode) {
	nd.crashNow = false
	nd.stop()
	nd.crashPending = false
	nd.restartAt = s.now.Add(time.Duration(5+s.r.IntN(90)) * time.Minute)
}

// reap crashes the branches that died in a commit made by a sync (in a
// task, or a duplicate served by the network).
func (s *sim) reap() {
	for _, nd := range s.nodes {
		if nd.crashNow {
			s.crash(nd)
		}
	}
}

// centralFaults: the central leader crashes (between proposals or in the
// middle of one), is cut off from the other central replicas, or a
// replica crashes just before committing what it applies.
func (s *sim) centralFaults() {
	f, c := s.cfg.Faults, s.central
	if s.cfg.PlantBug == "raft-any-vote" && f.Crashes && s.now.Before(c.slowUntil) && s.r.IntN(20) == 0 {
		// The planted bug shows when the leader dies while a follower
		// lags: then the laggard can win the election and drop committed
		// entries. The self-check steers the faults there, so that it
		// does not hang on a seed happening to line them up.
		if l := c.leader(); l != nil && l.idx != c.slowRep {
			l.crash()
			s.res.Faults["central-leader-crash"]++
		}
	}
	if f.Crashes && s.r.IntN(4*60) == 0 {
		if l := c.leader(); l != nil {
			l.crash()
			s.res.Faults["central-leader-crash"]++
		}
	}
	if f.Crashes && s.r.IntN(5*60) == 0 {
		c.crashLeaderNext = true
	}
	if f.Crashes && s.r.IntN(10*60) == 0 {
		if r := c.reps[s.r.IntN(len(c.reps))]; r.isUp {
			r.crashPending = true
			s.res.Faults["central-crash-before-commit"]++
		}
	}
	slowEvery := 3 * 60
	if s.cfg.PlantBug == "raft-any-vote" {
		slowEvery = 30 // see above
	}
	if f.Loss > 0 && !s.now.Before(c.slowUntil) && s.r.IntN(slowEvery) == 0 {
		c.slowRep = s.r.IntN(len(c.reps))
		c.slowUntil = s.now.Add(time.Duration(10+s.r.IntN(60)) * time.Minute)
		s.res.Faults["central-slow-follower"]++
	}
	if f.Partitions && c.partitionHealAt.IsZero() && s.r.IntN(6*60) == 0 {
		if l := c.leader(); l != nil {
			for _, r := range c.reps {
				if r != l {
					s.net.cut[[2]int{l.ep, r.ep}] = true
					s.net.cut[[2]int{r.ep, l.ep}] = true
				}
			}
			c.cutLeader = l.ep
			c.partitionHealAt = s.now.Add(time.Duration(10+s.r.IntN(120)) * time.Minute)
			s.res.Faults["central-leader-partitioned"]++
		}
	}
	if !c.partitionHealAt.IsZero() && !s.now.Before(c.partitionHealAt) {
		for _, r := range c.reps {
			delete(s.net.cut, [2]int{c.cutLeader, r.ep})
			delete(s.net.cut, [2]int{r.ep, c.cutLeader})
		}
		c.partitionHealAt = time.Time{}
	}
}
