package replicate

// CoreMigrations are the op log's own migrations (ops, version vector,
// node_meta), which OpenDB runs before a component's: a caller comparing a
// database's schema with what this version knows (a snapshot from a
// peer) needs them beside its components'.
func CoreMigrations() []Migration { return coreMigrations() }
