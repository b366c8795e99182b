-- Help requests: a patron asks for help on a channel (kiosk, web, app);
-- staff claim, answer and close. Every column is a register the applier
-- merges commutatively (see branch/help/help.go): claim_* keeps the
-- earliest claim by op stamp, take_* the latest takeover, first_response_at
-- and closed_at the earliest; owner_*, branch_id, status and the *_seconds
-- are derived from them after each op. first_response_seconds and
-- close_seconds are -1 until there is an answer or a close, so the
-- handling times per branch and channel are one GROUP BY away.
CREATE TABLE help_requests (
	request_id             TEXT PRIMARY KEY,
	routed_branch          TEXT NOT NULL DEFAULT '',
	branch_id              TEXT NOT NULL DEFAULT '',
	channel                TEXT NOT NULL DEFAULT '',
	location               TEXT NOT NULL DEFAULT '',
	patron_id              TEXT NOT NULL DEFAULT '',
	asked_by               TEXT NOT NULL DEFAULT '',
	message                TEXT NOT NULL DEFAULT '',
	created_at             TEXT NOT NULL DEFAULT '',
	open_stamp             TEXT NOT NULL DEFAULT '',
	claim_stamp            TEXT NOT NULL DEFAULT '',
	claim_staff            TEXT NOT NULL DEFAULT '',
	claim_branch           TEXT NOT NULL DEFAULT '',
	claim_at               TEXT NOT NULL DEFAULT '',
	take_stamp             TEXT NOT NULL DEFAULT '',
	take_staff             TEXT NOT NULL DEFAULT '',
	take_branch            TEXT NOT NULL DEFAULT '',
	take_at                TEXT NOT NULL DEFAULT '',
	owner_staff            TEXT NOT NULL DEFAULT '',
	owned_at               TEXT NOT NULL DEFAULT '',
	first_response_at      TEXT NOT NULL DEFAULT '',
	closed_at              TEXT NOT NULL DEFAULT '',
	closed_by              TEXT NOT NULL DEFAULT '',
	status                 TEXT NOT NULL DEFAULT 'open',
	first_response_seconds REAL NOT NULL DEFAULT -1,
	close_seconds          REAL NOT NULL DEFAULT -1
);
CREATE INDEX help_requests_queue ON help_requests (branch_id, status, created_at, open_stamp);

CREATE TABLE help_messages (
	message_id  TEXT PRIMARY KEY,
	request_id  TEXT NOT NULL,
	author_kind TEXT NOT NULL,
	author      TEXT NOT NULL,
	body        TEXT NOT NULL,
	at          TEXT NOT NULL,
	stamp       TEXT NOT NULL
);
CREATE INDEX help_messages_request ON help_messages (request_id, at, stamp);
