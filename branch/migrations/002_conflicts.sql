-- The conflicts queue. Rows are derived from state and resolution ops only,
-- so every replica with the same ops has the same rows.
CREATE TABLE conflicts (
	conflict_id TEXT PRIMARY KEY,        -- kind:subject, the same on every replica
	kind        TEXT NOT NULL,           -- double_loan, duplicate_card, loan_limit, overpayment, double_trap
	subject     TEXT NOT NULL,           -- what it is about: item, card number, patron, fee line, hold
	details     TEXT NOT NULL,           -- JSON: the records involved
	status      TEXT NOT NULL,           -- open | resolved
	resolution  TEXT NOT NULL DEFAULT '' -- JSON of the resolution op, once resolved
);
CREATE INDEX conflicts_status ON conflicts (status);

CREATE TABLE conflict_resolutions (
	conflict_id TEXT PRIMARY KEY,
	action      TEXT NOT NULL,
	note        TEXT NOT NULL,
	details     TEXT NOT NULL,
	actor       TEXT NOT NULL,
	resolved_at TEXT NOT NULL,
	stamp       TEXT NOT NULL
);

-- Every trap of a hold, so that two concurrent traps are both known.
CREATE TABLE hold_traps (
	hold_id TEXT NOT NULL,
	item_id TEXT NOT NULL,
	stamp   TEXT NOT NULL,
	PRIMARY KEY (hold_id, item_id)
);

ALTER TABLE loans ADD COLUMN after_loan TEXT NOT NULL DEFAULT '';
ALTER TABLE loans ADD COLUMN overridden TEXT NOT NULL DEFAULT '';
CREATE INDEX loans_fork ON loans (item_id, after_loan);
