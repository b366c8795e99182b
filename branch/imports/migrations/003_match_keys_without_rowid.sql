-- biblio_match_keys as a WITHOUT ROWID table: its primary key is the whole
-- row, so one b-tree holds it instead of a rowid table and an index (half
-- the writes of an import's keys, and the space).
CREATE TABLE biblio_match_keys_new (
	match_key TEXT NOT NULL,
	biblio_id TEXT NOT NULL,
	PRIMARY KEY (match_key, biblio_id)
) WITHOUT ROWID;
INSERT INTO biblio_match_keys_new (match_key, biblio_id) SELECT match_key, biblio_id FROM biblio_match_keys;
DROP TABLE biblio_match_keys;
ALTER TABLE biblio_match_keys_new RENAME TO biblio_match_keys;
