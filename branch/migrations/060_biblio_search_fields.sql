-- What the catalogue's search needs of a title beyond the core: series
-- (490 $a, 8xx), notes and summary (500, 520), audience (juvenile,
-- young_adult, adult; '' unknown), ISSN (022 $a), every ISBN of the record
-- as ISBN-13 (020 $a and $z; a JSON list), and the sort title (the title
-- without its leading article). Last-writer-wins fields of biblio.set
-- (clocks in `clocks`), written only when set, so a title without them
-- makes the op older nodes know. Series and isbns are JSON lists, '' when
-- never set.
ALTER TABLE biblios ADD COLUMN series TEXT NOT NULL DEFAULT '';
ALTER TABLE biblios ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE biblios ADD COLUMN audience TEXT NOT NULL DEFAULT '';
ALTER TABLE biblios ADD COLUMN issn TEXT NOT NULL DEFAULT '';
ALTER TABLE biblios ADD COLUMN isbns TEXT NOT NULL DEFAULT '';
ALTER TABLE biblios ADD COLUMN sort_title TEXT NOT NULL DEFAULT '';
