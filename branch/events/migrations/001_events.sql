-- Events and programmes (branch/events). Every row is a fold of events.*
-- ops; ops may arrive in any order, so a row may be started by any op
-- naming it and completed by the others.
CREATE TABLE IF NOT EXISTS events (
	event_id    TEXT PRIMARY KEY,
	title       TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	audience    TEXT NOT NULL DEFAULT '',
	library_id  TEXT NOT NULL DEFAULT '',
	room        TEXT NOT NULL DEFAULT '',
	starts_at   TEXT NOT NULL DEFAULT '',
	ends_at     TEXT NOT NULL DEFAULT '',
	reg_opens   TEXT NOT NULL DEFAULT '',
	reg_closes  TEXT NOT NULL DEFAULT '',
	drop_in     INTEGER NOT NULL DEFAULT 0,
	created_at  TEXT NOT NULL DEFAULT '',
	edit_stamp  TEXT NOT NULL DEFAULT '', -- last writer wins, by (HLC, origin)
	cancelled_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_when ON events (library_id, starts_at);

-- The seat ledger: capacity created (from ''), moved between accounts
-- (a node's origin, or 'central'), or taken away (to '').
CREATE TABLE IF NOT EXISTS event_ledger (
	op_id     TEXT PRIMARY KEY,
	event_id  TEXT NOT NULL,
	from_acct TEXT NOT NULL,
	to_acct   TEXT NOT NULL,
	seats     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS event_ledger_event ON event_ledger (event_id);

CREATE TABLE IF NOT EXISTS event_registrations (
	registration_id TEXT PRIMARY KEY,
	event_id        TEXT NOT NULL DEFAULT '',
	patron_id       TEXT NOT NULL DEFAULT '',
	seats           INTEGER NOT NULL DEFAULT 1,
	guests          TEXT NOT NULL DEFAULT '[]',
	ticket          TEXT NOT NULL DEFAULT '',
	stamp           TEXT NOT NULL DEFAULT '', -- (HLC, origin) of the registration: the waitlist order
	channel         TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL DEFAULT '',
	cancelled_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS event_registrations_event ON event_registrations (event_id, stamp);
CREATE INDEX IF NOT EXISTS event_registrations_patron ON event_registrations (patron_id);
CREATE INDEX IF NOT EXISTS event_registrations_ticket ON event_registrations (ticket);

-- Seats taken for a registration from an account: at registration or by
-- a promotion. Of several for one registration the first by stamp holds
-- the seat; the others (and all of a cancelled registration's) go back.
CREATE TABLE IF NOT EXISTS event_debits (
	op_id           TEXT PRIMARY KEY,
	registration_id TEXT NOT NULL,
	event_id        TEXT NOT NULL,
	account         TEXT NOT NULL,
	seats           INTEGER NOT NULL,
	stamp           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_debits_reg ON event_debits (registration_id, stamp);
CREATE INDEX IF NOT EXISTS event_debits_acct ON event_debits (event_id, account);

-- Check-ins: a set keyed by registration, the earliest kept.
CREATE TABLE IF NOT EXISTS event_checkins (
	registration_id TEXT PRIMARY KEY,
	event_id        TEXT NOT NULL,
	checked_in_at   TEXT NOT NULL,
	channel         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS event_checkins_event ON event_checkins (event_id);
