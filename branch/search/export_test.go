package search

// Fold is fold, for the tests.
var Fold = fold

// SetBulkOps sets how many ops since the last CatchUp make a bulk load.
func SetBulkOps(x *Index, n uint64) { x.bulkOps = n }

// SetMaxBacklog sets the most keys a search re-derives before answering.
func SetMaxBacklog(x *Index, n int) { x.maxBacklog = n }
