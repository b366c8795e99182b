package simulations

import "time"

// faults injects this minute's faults.
func (s *sim) faults() {
	f := s.cfg.Faults
	n := len(s.nodes)
	if f.Partitions && s.r.IntN(6*60) == 0 { // about four partitions a day
		// Cut a random group of branches off from the rest.
		group := map[int]bool{}
		for len(group) == 0 || len(group) == n {
			group = map[int]bool{}
			for i := 0; i < n; i++ {
				if s.r.IntN(2) == 0 {
					group[i] = true
				}
			}
		}
		for a := 0; a < n; a++ {
			for b := 0; b < n; b++ {
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
		if nd.up {
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
		if !nd.up && !s.now.Before(nd.restartAt) {
			if err := nd.restart(); err != nil {
				s.fail("%s did not restart: %v", nd.branch, err)
			}
			s.res.Faults["restart"]++
		}
	}
	if f.FullDisk && s.r.IntN(12*60) == 0 {
		nd := s.nodes[s.r.IntN(n)]
		if nd.up && !nd.diskFull {
			if pages, err := nd.db.PageCount(s.ctx); err == nil {
				nd.db.SetMaxPageCount(s.ctx, pages)
				nd.diskFull = true
				nd.diskFreeAt = s.now.Add(time.Duration(10+s.r.IntN(120)) * time.Minute)
				s.res.Faults["disk-full"]++
			}
		}
	}
	for _, nd := range s.nodes {
		if nd.up && nd.diskFull && !s.now.Before(nd.diskFreeAt) {
			nd.db.SetMaxPageCount(s.ctx, 0)
			nd.diskFull = false
		}
	}
}

// crash stops a node; it restarts from disk a while later.
func (s *sim) crash(nd *simNode) {
	nd.stop()
	nd.crashPending = false
	nd.restartAt = s.now.Add(time.Duration(5+s.r.IntN(90)) * time.Minute)
}
