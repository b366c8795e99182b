-- The nodes of the library system, issued by central: which appliance (by
-- its op-log origin) serves which branch, and the central site's own
-- origin. A node once registered stays admitted (retired only marks it),
-- so the history it wrote keeps replicating.
CREATE TABLE registry_nodes (
	node_id   TEXT PRIMARY KEY,
	branch_id TEXT NOT NULL DEFAULT '',
	role      TEXT NOT NULL DEFAULT '',
	name      TEXT NOT NULL DEFAULT '',
	retired   INTEGER NOT NULL DEFAULT 0,
	clocks    TEXT NOT NULL DEFAULT '{}'
);
