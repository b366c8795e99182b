-- The audit log: who read or changed what, when and through which channel.
-- One row per audit.record op, keyed by the op's ID, so every replica holds
-- the same rows whatever order the ops arrived in.
CREATE TABLE audit (
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
CREATE INDEX audit_at ON audit (at, audit_id);
CREATE INDEX audit_actor ON audit (actor, at);
CREATE INDEX audit_patron ON audit (patron_id, at);
