package imports

import (
	"strings"

	"stacks/branch/marc"
)

// Keys are a record's match keys (marc.MatchKeys).
func Keys(r *marc.Record) []string { return marc.MatchKeys(r) }

// rule is the rule part of a key.
func rule(key string) string {
	r, _, _ := strings.Cut(key, ":")
	return r
}
