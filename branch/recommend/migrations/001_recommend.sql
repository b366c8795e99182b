-- The "also borrowed" model: counts of distinct patrons per pair of
-- titles and per title, counted when loans are applied. No patron is named
-- here; recommend_counted lists the loans already counted (loan IDs, which
-- the loans table holds anyway) so a loan is counted once.
CREATE TABLE recommend_pairs (
	a       TEXT NOT NULL,
	b       TEXT NOT NULL,
	patrons INTEGER NOT NULL,
	PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX recommend_pairs_rank ON recommend_pairs (a, patrons DESC, b);

CREATE TABLE recommend_titles (
	biblio_id TEXT PRIMARY KEY,
	patrons   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX recommend_titles_rank ON recommend_titles (patrons DESC, biblio_id);

CREATE TABLE recommend_counted (
	loan_id TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE recommend_meta (
	k TEXT PRIMARY KEY,
	v TEXT NOT NULL
) WITHOUT ROWID;
