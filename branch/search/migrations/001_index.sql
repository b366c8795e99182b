-- The search index: local, derived from the state tables, never
-- replicated nor hashed (it is not a state table). search_fts holds the
-- words of each title (rowid = doc); search_docs what the facets, ranking
-- and grouping read, loaded into memory and kept current by generation
-- (gen: the search_meta counter when the row was last written).
-- Tokenizer: Porter stemming over unicode61 with diacritics removed, no
-- stop words (so "The The" and "It" are found).
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title, author, series, subject, ident, publisher, notes,
	tokenize='porter unicode61 remove_diacritics 2', detail=column);
CREATE TABLE IF NOT EXISTS search_docs (
	doc        INTEGER PRIMARY KEY,
	biblio_id  TEXT NOT NULL UNIQUE,
	work       TEXT NOT NULL DEFAULT '',
	title_norm TEXT NOT NULL DEFAULT '',
	sort_title TEXT NOT NULL DEFAULT '',
	format     TEXT NOT NULL DEFAULT '',
	language   TEXT NOT NULL DEFAULT '',
	audience   TEXT NOT NULL DEFAULT '',
	year       INTEGER NOT NULL DEFAULT 0,
	authors    TEXT NOT NULL DEFAULT '[]',
	subjects   TEXT NOT NULL DEFAULT '[]',
	owning     TEXT NOT NULL DEFAULT '',
	avail      TEXT NOT NULL DEFAULT '',
	popularity INTEGER NOT NULL DEFAULT 0,
	gone       INTEGER NOT NULL DEFAULT 0,
	gen        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS search_docs_gen ON search_docs (gen);
CREATE INDEX IF NOT EXISTS search_docs_work ON search_docs (work);
CREATE TABLE IF NOT EXISTS search_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
-- Titles (biblio=1) and copies (biblio=0) that ops touched since the index
-- last caught up: written by the applier in the op's own transaction (so a
-- crash loses none), drained before the next search answers.
CREATE TABLE IF NOT EXISTS search_dirty (key TEXT PRIMARY KEY, biblio INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO search_meta (k, v) VALUES ('gen', 0);
-- A new database's index is current from its first op (the applier keeps
-- it); an upgraded one has titles and no documents, which Open rebuilds.
INSERT OR IGNORE INTO search_meta (k, v) VALUES ('version', 1);
