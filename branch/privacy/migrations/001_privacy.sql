-- Privacy: erasure tombstones, anonymised loans and holds, and the
-- retention policy per patron category.
--
-- An erasure tombstone per patron; two erasures of one patron keep the
-- earlier (smaller stamp), so every replica holds the same row.
CREATE TABLE privacy_erasures (
	patron_id TEXT PRIMARY KEY,
	erased_at TEXT NOT NULL,
	reason    TEXT NOT NULL,
	stamp     TEXT NOT NULL
);
-- Loans and holds whose link to a patron was cut (kind 'loan' or 'hold'),
-- kept so that an op naming one that arrives later is anonymised too.
CREATE TABLE privacy_anonymised (
	id   TEXT PRIMARY KEY,
	kind TEXT NOT NULL
) WITHOUT ROWID;
-- How long loan history is kept per patron category: 'at_return'
-- (anonymised when the item comes back), 'after_days' (days after the
-- return) or 'keep'. Last writer wins per category; '*' is the default.
CREATE TABLE privacy_retention (
	category TEXT PRIMARY KEY,
	mode     TEXT NOT NULL,
	days     INTEGER NOT NULL DEFAULT 0,
	stamp    TEXT NOT NULL
);
