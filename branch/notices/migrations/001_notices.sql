-- Notices: one row per notice key (kind:subject:occurrence:channel). The
-- claim (who sends it) is decided once, in one place every node agrees on,
-- and folded here; of two claim ops of one key (which the decider never
-- makes) the earlier stamp wins. The status is a last-writer-wins register
-- ordered by the op's stamp: only the claimer writes it, in order.
-- Tracking keeps the first time of each event.
CREATE TABLE IF NOT EXISTS notices (
	notice_key    TEXT PRIMARY KEY,
	base          TEXT NOT NULL DEFAULT '', -- kind:subject:occurrence (the notice, whatever its channel)
	kind          TEXT NOT NULL DEFAULT '',
	patron_id     TEXT NOT NULL DEFAULT '',
	subject       TEXT NOT NULL DEFAULT '',
	occurrence    TEXT NOT NULL DEFAULT '',
	channel       TEXT NOT NULL DEFAULT '',
	branch_id     TEXT NOT NULL DEFAULT '',
	digest        TEXT NOT NULL DEFAULT '', -- the digest key that carries it
	fallback_of   TEXT NOT NULL DEFAULT '', -- the key whose channel failed
	resend_of     TEXT NOT NULL DEFAULT '',
	claimed_by    TEXT NOT NULL DEFAULT '', -- the node that sends it
	claimed_at    TEXT NOT NULL DEFAULT '',
	claim_stamp   TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL DEFAULT 'claimed',
	status_stamp  TEXT NOT NULL DEFAULT '',
	status_at     TEXT NOT NULL DEFAULT '',
	reason        TEXT NOT NULL DEFAULT '',
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_attempt  TEXT NOT NULL DEFAULT '',
	opened_at     TEXT NOT NULL DEFAULT '',
	clicked_at    TEXT NOT NULL DEFAULT '',
	bounced_at    TEXT NOT NULL DEFAULT '',
	bounce_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS notices_base ON notices (base);
CREATE INDEX IF NOT EXISTS notices_patron ON notices (patron_id, claimed_at);
CREATE INDEX IF NOT EXISTS notices_claimer ON notices (claimed_by, status);

-- A contact (a patron's email address or phone) that failed permanently
-- or bounced, for staff to check; last writer wins per (patron, channel).
CREATE TABLE IF NOT EXISTS notice_contact_flags (
	patron_id  TEXT NOT NULL,
	channel    TEXT NOT NULL,
	address    TEXT NOT NULL DEFAULT '',
	reason     TEXT NOT NULL DEFAULT '',
	flagged_at TEXT NOT NULL DEFAULT '',
	cleared    INTEGER NOT NULL DEFAULT 0,
	stamp      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (patron_id, channel)
);

-- Overdue notice rules, as Koha's: per branch and patron category ('*'
-- for any), the three levels' delay in days after the due date, the
-- template, and whether the patron is blocked until the items are back.
-- Last writer wins per (branch, category, level); deleted rows stay as
-- tombstones.
CREATE TABLE IF NOT EXISTS notice_overdue_rules (
	branch_id  TEXT NOT NULL,
	category   TEXT NOT NULL,
	level      INTEGER NOT NULL,
	delay_days INTEGER NOT NULL DEFAULT 0,
	template   TEXT NOT NULL DEFAULT '',
	block      INTEGER NOT NULL DEFAULT 0,
	deleted    INTEGER NOT NULL DEFAULT 0,
	stamp      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (branch_id, category, level)
);
