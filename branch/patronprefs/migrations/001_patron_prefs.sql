-- A patron's preferences that are theirs to choose: reading history on or
-- off (and when it was turned on and last deleted) and messaging
-- preferences. One last-writer-wins register per (patron, field), ordered
-- by the op's stamp (HLC, origin), so every replica keeps the same value
-- whatever order the ops arrived in.
CREATE TABLE patron_prefs (
	patron_id TEXT NOT NULL,
	field     TEXT NOT NULL,
	value     TEXT NOT NULL,
	stamp     TEXT NOT NULL,
	PRIMARY KEY (patron_id, field)
);
