-- Holds the patron manages on the web: a date after which the hold is not
-- needed, a suspension until a date (a last-writer-wins register with its
-- stamp), and the stamp of the pickup branch's own register, set when the
-- patron changes it after placing. A patron's language preference is a
-- last-writer-wins field like the others.
ALTER TABLE holds ADD COLUMN not_needed_after TEXT NOT NULL DEFAULT '';
ALTER TABLE holds ADD COLUMN suspended_until TEXT NOT NULL DEFAULT '';
ALTER TABLE holds ADD COLUMN suspend_stamp TEXT NOT NULL DEFAULT '';
ALTER TABLE holds ADD COLUMN pickup_stamp TEXT NOT NULL DEFAULT '';
ALTER TABLE patrons ADD COLUMN language TEXT NOT NULL DEFAULT '';
