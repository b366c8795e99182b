package node

import (
	"io"

	"stacks/hardware/sip2"
	"stacks/hardware/sortbin"
)

// sorter is the SIP2 server's sorting-bin rules: the configured ones, or
// none (the server then bins by the checkin's action alone).
func sorter(rules sortbin.Rules) sip2.SortBinner {
	if len(rules) == 0 {
		return nil
	}
	return rules
}

// ParseSortRules reads a sorting-bin rules file (branchd --sort-rules;
// the format is hardware/sortbin's).
func ParseSortRules(r io.Reader) (sortbin.Rules, error) { return sortbin.Parse(r) }
