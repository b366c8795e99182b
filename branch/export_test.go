package branch

import "stacks/replicate"

// OpByOpOracle is the op-by-op fold of the core's ops, for the property
// tests that compare the batched fold against it.
func OpByOpOracle() replicate.Applier { return opByOpOracle{} }

// Fillable is the condition on holds an item may fill (fillable).
const Fillable = fillable
