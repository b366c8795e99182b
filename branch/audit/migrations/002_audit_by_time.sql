-- The audit log kept in time order: the table is keyed by (at, audit_id)
-- and holds its rows in that order (WITHOUT ROWID), which is the order
-- every listing reads, so the separate time index and the rowid b-tree
-- go. A record is stored on every replica of a write, on central three
-- times: it was the write's most costly part, five b-trees a row (the
-- table, its audit_id index, and the at, actor and patron indexes); a
-- record naming no patron and no item (all of central's) now costs two.
--
-- Indexes, by the queries that use them:
--   audit_actor      List filtered by actor, newest first; export's
--                    "the patron acting themselves" (actor='patron:…').
--   audit_patron     List filtered by patron; export; anonymisation's
--                    "this patron's records of this item". Only records
--                    that name a patron are in it: the queries say
--                    patron_id<>'' so that SQLite may use it.
--   audit_item_rows  An anonymisation cuts records from their item by
--                    audit_id (branch/privacy): only records that name an
--                    item can be cut, and only those are in it.
-- The key keeps an op's record once however often it arrives (its at is
-- in its payload, the same on every replica); the columns and their order
-- are as before, so state hashes do not change.
CREATE TABLE audit_by_time (
	audit_id  TEXT NOT NULL,
	at        TEXT NOT NULL,
	actor     TEXT NOT NULL,
	channel   TEXT NOT NULL,
	action    TEXT NOT NULL,
	resource  TEXT NOT NULL,
	patron_id TEXT NOT NULL,
	item_id   TEXT NOT NULL,
	outcome   TEXT NOT NULL,
	PRIMARY KEY (at, audit_id)
) WITHOUT ROWID;
INSERT INTO audit_by_time (audit_id, at, actor, channel, action, resource, patron_id, item_id, outcome)
	SELECT audit_id, at, actor, channel, action, resource, patron_id, item_id, outcome FROM audit ORDER BY at, audit_id;
DROP TABLE audit;
ALTER TABLE audit_by_time RENAME TO audit;
CREATE INDEX audit_actor ON audit (actor, at);
CREATE INDEX audit_patron ON audit (patron_id, at) WHERE patron_id<>'';
CREATE INDEX audit_item_rows ON audit (audit_id) WHERE item_id<>'';
