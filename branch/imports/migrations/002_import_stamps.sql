-- The stamps of the biblio.set ops imports wrote, per title: a field of a
-- title whose clock (biblios.clocks) is one of these was last written by an
-- import; any other stamp is a local edit, which an overlay keeps. Rows
-- are only ever added, so every replica holds the same rows whatever the
-- order.
CREATE TABLE biblio_import_stamps (
	biblio_id TEXT NOT NULL,
	stamp     TEXT NOT NULL,
	PRIMARY KEY (biblio_id, stamp)
) WITHOUT ROWID;
