package imports

// RunKnown reports whether a batch of run has been seen (waiting for its
// turn or done), for tests of the order of a run's batches.
func RunKnown(run string) bool {
	runs.Lock()
	defer runs.Unlock()
	return runs.m[run] != nil
}
