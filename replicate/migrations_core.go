package replicate

// CoreMigrations are the op log's own migrations (ops, version vector,
// node_meta), which OpenDB runs before a component's: a caller comparing a
// database's schema with what this version knows (a snapshot from a
// peer) needs them beside its components'.
func CoreMigrations() []Migration { return coreMigrations() }

// CoreMigrationsUpTo are the core migrations up to version v: the schema
// an older version made, for a test that converts it.
func CoreMigrationsUpTo(v int) []Migration {
	var out []Migration
	for _, m := range coreMigrations() {
		if m.Version <= v {
			out = append(out, m)
		}
	}
	return out
}
