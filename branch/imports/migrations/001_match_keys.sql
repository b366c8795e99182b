-- The match keys of imported titles: normalised ISBN-13s (020 $a and $z),
-- system control numbers (035 $a) and 001+003, one row per key and title.
-- Rows are only ever added (an imports.keys op inserts, ON CONFLICT DO
-- NOTHING), so every replica holds the same rows whatever the order.
CREATE TABLE biblio_match_keys (
	match_key TEXT NOT NULL,
	biblio_id TEXT NOT NULL,
	PRIMARY KEY (match_key, biblio_id)
);
