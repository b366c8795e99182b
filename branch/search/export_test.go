package search

// Fold is fold, for the tests.
var Fold = fold

// SetBulkOps sets how many ops since the last CatchUp make a bulk load.
func SetBulkOps(x *Index, n uint64) { x.bulkOps = n }

// SetMaxBacklog sets the most keys a search re-derives before answering.
func SetMaxBacklog(x *Index, n int) { x.maxBacklog = n }

// SetParallelCands sets how many candidates a query needs for its facets to
// be counted on two cores (1: always), and returns a function restoring it.
func SetParallelCands(n int) func() {
	old := parallelCands
	parallelCands = n
	return func() { parallelCands = old }
}

// FTSQuery is the FTS5 query the index runs for q's words.
func FTSQuery(q string) string { return ftsQuery(words(q)) }
