// Package sortbin picks the bin an automated returns machine drops a
// checked-in item into (SIP2 checkin response, field CL), from rules the
// library writes: by holds, by the checkin's action, by item type and by
// home branch. The first rule that matches wins.
//
// A rules file has one rule a line, "BIN [CONDITION...]", # comments:
//
//	1 hold=yes           # trapped for a hold (here or for another pickup branch)
//	2 action=transit     # going to another branch
//	4 type=DVD home=here # our own DVDs
//	3                    # everything else
//
// Conditions, all of which must hold: hold=yes|no (the checkin trapped a
// hold), action=shelve|hold_shelf|transit (what staff do next),
// type=ITEMTYPE, home=BRANCH|here|other (the item's home branch, this
// branch, or any other).
package sortbin

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"stacks/branch/domain"
)

// Rule is one line of rules: a bin and the conditions for it.
type Rule struct {
	Bin      string
	Hold     string // "", "yes" or "no"
	Action   string // "" or a domain.Action*
	ItemType string
	Home     string // "", a branch ID, "here" or "other"
}

// Rules are tried in order; the first that matches gives the bin.
type Rules []Rule

// Default is bin 1 for an item trapped for a hold, 2 for one going to
// another branch, 3 for the shelf.
func Default() Rules {
	return Rules{{Bin: "1", Hold: "yes"}, {Bin: "2", Action: domain.ActionTransit}, {Bin: "3"}}
}

// Parse reads rules, one a line.
func Parse(r io.Reader) (Rules, error) {
	var out Rules
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		rule := Rule{Bin: f[0]}
		if strings.ContainsAny(rule.Bin, "|\r\n") || len(rule.Bin) > 8 {
			return nil, fmt.Errorf("sortbin: line %d: bin %q: at most 8 characters, no |", n, rule.Bin)
		}
		for _, c := range f[1:] {
			k, v, ok := strings.Cut(c, "=")
			if !ok || v == "" {
				return nil, fmt.Errorf("sortbin: line %d: %q is not KEY=VALUE", n, c)
			}
			switch k {
			case "hold":
				if v != "yes" && v != "no" {
					return nil, fmt.Errorf("sortbin: line %d: hold=%s: want yes or no", n, v)
				}
				rule.Hold = v
			case "action":
				if v != domain.ActionShelve && v != domain.ActionHoldShelf && v != domain.ActionTransit {
					return nil, fmt.Errorf("sortbin: line %d: action=%s: want shelve, hold_shelf or transit", n, v)
				}
				rule.Action = v
			case "type":
				rule.ItemType = v
			case "home":
				rule.Home = v
			default:
				return nil, fmt.Errorf("sortbin: line %d: unknown condition %q (hold, action, type, home)", n, k)
			}
		}
		out = append(out, rule)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sortbin: no rules")
	}
	return out, nil
}

// Match says whether the rule applies to res at branch.
func (r Rule) Match(branch string, res *domain.CheckinResult) bool {
	it := res.Item
	if it == nil {
		it = &domain.Item{}
	}
	switch {
	case r.Hold == "yes" && res.Hold == nil, r.Hold == "no" && res.Hold != nil:
		return false
	case r.Action != "" && r.Action != res.Action:
		return false
	case r.ItemType != "" && r.ItemType != it.ItemType:
		return false
	}
	switch r.Home {
	case "":
	case "here":
		return it.HomeBranch == branch
	case "other":
		return it.HomeBranch != branch
	default:
		return it.HomeBranch == r.Home
	}
	return true
}

// SortBin is the bin of the first matching rule, or "" if none matches.
func (rs Rules) SortBin(_ context.Context, branch string, res *domain.CheckinResult) string {
	for _, r := range rs {
		if r.Match(branch, res) {
			return r.Bin
		}
	}
	return ""
}
