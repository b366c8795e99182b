-- The clocks of every last-writer-wins row become a BLOB of 16-byte stamps
-- grouped by field mask (branch/clocks.go); the conversion runs in Go
-- (migrateClocks, branch/migrate_clocks.go) in this migration's
-- transaction, after this file.
SELECT 1;
