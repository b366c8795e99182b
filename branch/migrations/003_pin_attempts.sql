-- Failed (and, after failures, successful) PIN checks on every channel and
-- node: the lockout counts them all.
CREATE TABLE pin_attempts (
	attempt_id TEXT PRIMARY KEY,
	patron_id  TEXT NOT NULL,
	ok         INTEGER NOT NULL,
	at         TEXT NOT NULL,
	channel    TEXT NOT NULL
);
CREATE INDEX pin_attempts_patron ON pin_attempts (patron_id, at);
