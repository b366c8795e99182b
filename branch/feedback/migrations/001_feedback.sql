-- Feedback: survey invitations after a transaction, answers (named or
-- anonymous), staff replies to named answers, and the public "you said, we
-- did" entries. An anonymous answer's row has no patron, no invitation and
-- no time finer than its day. closed_at is the first close by op time (an
-- answer or a decline), so every replica keeps the same one whatever order
-- ops arrive in; a close may arrive before its invitation, so invitation
-- fields and closed_at are upserted separately (patron_id '' = not yet).
CREATE TABLE feedback_invitations (
	invitation_id TEXT PRIMARY KEY,
	patron_id     TEXT NOT NULL DEFAULT '',
	library_id    TEXT NOT NULL DEFAULT '',
	channel       TEXT NOT NULL DEFAULT '',
	kind          TEXT NOT NULL DEFAULT '',
	ref           TEXT NOT NULL DEFAULT '',
	invited_at    TEXT NOT NULL DEFAULT '',
	week          TEXT NOT NULL DEFAULT '',
	expires_at    TEXT NOT NULL DEFAULT '',
	closed_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX feedback_invitations_patron ON feedback_invitations (patron_id, invited_at);
CREATE INDEX feedback_invitations_week ON feedback_invitations (week, library_id, channel);

CREATE TABLE feedback_answers (
	answer_id     TEXT PRIMARY KEY,
	patron_id     TEXT NOT NULL DEFAULT '',
	invitation_id TEXT NOT NULL DEFAULT '',
	library_id    TEXT NOT NULL,
	channel       TEXT NOT NULL,
	kind          TEXT NOT NULL,
	day           TEXT NOT NULL,
	week          TEXT NOT NULL,
	at            TEXT NOT NULL DEFAULT '',
	score         INTEGER NOT NULL DEFAULT -1,
	nps           INTEGER NOT NULL DEFAULT -1,
	comment       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX feedback_answers_week ON feedback_answers (week, library_id, channel);
CREATE INDEX feedback_answers_patron ON feedback_answers (patron_id);

CREATE TABLE feedback_replies (
	reply_id  TEXT PRIMARY KEY,
	answer_id TEXT NOT NULL,
	text      TEXT NOT NULL,
	staff     TEXT NOT NULL,
	at        TEXT NOT NULL
);
CREATE INDEX feedback_replies_answer ON feedback_replies (answer_id);

-- Last writer wins per entry, by the op's stamp (HLC, origin).
CREATE TABLE feedback_yswd (
	entry_id   TEXT PRIMARY KEY,
	said_en    TEXT NOT NULL DEFAULT '',
	said_fi    TEXT NOT NULL DEFAULT '',
	did_en     TEXT NOT NULL DEFAULT '',
	did_fi     TEXT NOT NULL DEFAULT '',
	published  INTEGER NOT NULL DEFAULT 0,
	deleted    INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL DEFAULT '',
	stamp      TEXT NOT NULL DEFAULT ''
);
