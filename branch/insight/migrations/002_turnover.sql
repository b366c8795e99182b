-- Collection turnover by format: loans per library day, owning branch
-- (the item's home branch) and format (its title's), as the checkout op
-- names them (the lending branch stamps both), and the items held now per
-- branch and format.
CREATE TABLE insight_turnover (
	day       TEXT NOT NULL,
	branch_id TEXT NOT NULL,
	format    TEXT NOT NULL,
	n         INTEGER NOT NULL,
	PRIMARY KEY (day, branch_id, format)
) WITHOUT ROWID;

-- Items held (not withdrawn, not lost) per home branch and format ('' while
-- an item's title is not known here). Kept by SQLite itself, by the
-- triggers below, from the items and biblios state: whatever writes them
-- (the applier, an import, a resync), the count is the state's, so every
-- replica with the same state holds the same counts, and a report reads a
-- few rows instead of the whole collection. An item row is never replaced
-- (the applier upserts), so its updates are seen as updates.
CREATE TABLE insight_held (
	branch_id TEXT NOT NULL,
	format    TEXT NOT NULL,
	n         INTEGER NOT NULL,
	PRIMARY KEY (branch_id, format)
) WITHOUT ROWID;

INSERT INTO insight_held (branch_id, format, n)
	SELECT i.home_branch, coalesce(b.format, ''), count(*) FROM items i LEFT JOIN biblios b ON b.biblio_id=i.biblio_id
	WHERE i.base_status NOT IN ('withdrawn', 'lost') GROUP BY 1, 2;

CREATE TRIGGER insight_held_item_insert AFTER INSERT ON items
WHEN new.base_status NOT IN ('withdrawn', 'lost')
BEGIN
	INSERT INTO insight_held (branch_id, format, n)
		VALUES (new.home_branch, coalesce((SELECT format FROM biblios WHERE biblio_id=new.biblio_id), ''), 1)
		ON CONFLICT (branch_id, format) DO UPDATE SET n=n+1;
END;

CREATE TRIGGER insight_held_item_delete AFTER DELETE ON items
WHEN old.base_status NOT IN ('withdrawn', 'lost')
BEGIN
	UPDATE insight_held SET n=n-1
		WHERE branch_id=old.home_branch AND format=coalesce((SELECT format FROM biblios WHERE biblio_id=old.biblio_id), '');
END;

CREATE TRIGGER insight_held_item_update AFTER UPDATE OF home_branch, biblio_id, base_status ON items
WHEN old.home_branch IS NOT new.home_branch OR old.biblio_id IS NOT new.biblio_id
	OR (old.base_status NOT IN ('withdrawn', 'lost')) <> (new.base_status NOT IN ('withdrawn', 'lost'))
BEGIN
	UPDATE insight_held SET n=n-1
		WHERE old.base_status NOT IN ('withdrawn', 'lost') AND branch_id=old.home_branch
		AND format=coalesce((SELECT format FROM biblios WHERE biblio_id=old.biblio_id), '');
	INSERT INTO insight_held (branch_id, format, n)
		SELECT new.home_branch, coalesce((SELECT format FROM biblios WHERE biblio_id=new.biblio_id), ''), 1
		WHERE new.base_status NOT IN ('withdrawn', 'lost')
		ON CONFLICT (branch_id, format) DO UPDATE SET n=n+1;
END;

-- A title arriving after its copies (from another origin), or changing
-- format, moves its copies' counts from the format they were counted under.
CREATE TRIGGER insight_held_biblio_insert AFTER INSERT ON biblios
WHEN EXISTS (SELECT 1 FROM items WHERE biblio_id=new.biblio_id)
BEGIN
	UPDATE insight_held SET n=n-(SELECT count(*) FROM items i WHERE i.biblio_id=new.biblio_id
		AND i.home_branch=insight_held.branch_id AND i.base_status NOT IN ('withdrawn', 'lost'))
		WHERE format='';
	INSERT INTO insight_held (branch_id, format, n)
		SELECT home_branch, new.format, count(*) FROM items
		WHERE biblio_id=new.biblio_id AND base_status NOT IN ('withdrawn', 'lost') GROUP BY home_branch
		ON CONFLICT (branch_id, format) DO UPDATE SET n=n+excluded.n;
END;

CREATE TRIGGER insight_held_biblio_update AFTER UPDATE OF format ON biblios
WHEN old.format IS NOT new.format AND EXISTS (SELECT 1 FROM items WHERE biblio_id=new.biblio_id)
BEGIN
	UPDATE insight_held SET n=n-(SELECT count(*) FROM items i WHERE i.biblio_id=new.biblio_id
		AND i.home_branch=insight_held.branch_id AND i.base_status NOT IN ('withdrawn', 'lost'))
		WHERE format=old.format;
	INSERT INTO insight_held (branch_id, format, n)
		SELECT home_branch, new.format, count(*) FROM items
		WHERE biblio_id=new.biblio_id AND base_status NOT IN ('withdrawn', 'lost') GROUP BY home_branch
		ON CONFLICT (branch_id, format) DO UPDATE SET n=n+excluded.n;
END;

CREATE TRIGGER insight_held_biblio_delete AFTER DELETE ON biblios
WHEN EXISTS (SELECT 1 FROM items WHERE biblio_id=old.biblio_id)
BEGIN
	UPDATE insight_held SET n=n-(SELECT count(*) FROM items i WHERE i.biblio_id=old.biblio_id
		AND i.home_branch=insight_held.branch_id AND i.base_status NOT IN ('withdrawn', 'lost'))
		WHERE format=old.format;
	INSERT INTO insight_held (branch_id, format, n)
		SELECT home_branch, '', count(*) FROM items
		WHERE biblio_id=old.biblio_id AND base_status NOT IN ('withdrawn', 'lost') GROUP BY home_branch
		ON CONFLICT (branch_id, format) DO UPDATE SET n=n+excluded.n;
END;
