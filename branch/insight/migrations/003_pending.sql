-- The ops insight has yet to count, when the applier defers derived state
-- (branch.Deferral): noted in the transaction that applies them, counted
-- and deleted together by insight's catch-up pass after the commit.
-- Local, like every insight table: neither replicated nor hashed.
CREATE TABLE insight_pending (
	seq     INTEGER PRIMARY KEY,
	origin  INTEGER NOT NULL,
	counter INTEGER NOT NULL
);
