-- Handoff codes: a short-lived, single-use code a patron makes on one
-- channel (web, app) to finish something on another (desk, kiosk). Only a
-- keyed hash of the code is stored and replicated. used_at is the first
-- use, by op time: a use op sets it only if it is earlier, so every
-- replica keeps the same first use whatever order ops arrive in.
CREATE TABLE handoff_codes (
	code_hash    TEXT PRIMARY KEY,
	patron_id    TEXT NOT NULL DEFAULT '',
	intent       TEXT NOT NULL DEFAULT '',
	issued_at    TEXT NOT NULL DEFAULT '',
	expires_at   TEXT NOT NULL DEFAULT '',
	used_at      TEXT NOT NULL DEFAULT '',
	used_channel TEXT NOT NULL DEFAULT ''
);
