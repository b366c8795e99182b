-- When a patron's web sessions were last ended (logout, PIN change): every
-- session of the patron that began at or before before_ms (Unix ms) is
-- refused on every node, except the session keep (the one that changed the
-- PIN; '' for a logout). One row per patron; the op with the later cutoff
-- wins, and at the same cutoff the one keeping less (keep '' first), so
-- every replica holds the same row whatever order the ops arrived in.
CREATE TABLE web_session_cutoffs (
	patron_id TEXT PRIMARY KEY,
	before_ms INTEGER NOT NULL,
	keep      TEXT NOT NULL DEFAULT ''
);
