-- The audit log: who read or changed what, when and through which channel.
-- One row per audit.record op, keyed by the op's ID, so every replica holds
-- the same rows whatever order the ops arrived in.
--
-- IF NOT EXISTS: before audit was a capability of its own, branch's
-- migration 004 made this very table (same columns, same indexes); a
-- database migrated then keeps its table and rows, and this step records
-- that the audit component is in place.
CREATE TABLE IF NOT EXISTS audit (
	audit_id  TEXT PRIMARY KEY,
	at        TEXT NOT NULL,
	actor     TEXT NOT NULL,
	channel   TEXT NOT NULL,
	action    TEXT NOT NULL,
	resource  TEXT NOT NULL,
	patron_id TEXT NOT NULL,
	item_id   TEXT NOT NULL,
	outcome   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at, audit_id);
CREATE INDEX IF NOT EXISTS audit_actor ON audit (actor, at);
CREATE INDEX IF NOT EXISTS audit_patron ON audit (patron_id, at);
