package node

// closers is a stack of functions that close what a node opened. Each step
// of Open adds one for each thing it opened, right after opening it; run
// calls them in reverse order, so a thing closes before what it was opened
// over (the Raft node before the tailnet, the op log before the database).
type closers struct {
	fns []func()
}

// add pushes f, to be called by run.
func (c *closers) add(f func()) { c.fns = append(c.fns, f) }

// run calls the functions added so far, the last added first, and forgets
// them: a second run does nothing.
func (c *closers) run() {
	for i := len(c.fns) - 1; i >= 0; i-- {
		c.fns[i]()
	}
	c.fns = nil
}
